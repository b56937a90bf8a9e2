using System.Net;
using System.Web;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>
/// The campaign admin API. Reads take the function key; writes (PUT, DELETE, import) are admin level, so they need
/// the master key: the function key a marketer pastes into the dashboard cannot re-route calls. Bad input, unknown
/// ids and conflicts: <c>HttpProblemMiddleware</c>.
/// </summary>
public sealed class CampaignFunctions(CampaignAdmin admin)
{
    [Function("ListCampaigns")]
    public async Task<HttpResponseData> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "campaigns")] HttpRequestData req, CancellationToken cancellationToken) =>
        await req.JsonAsync(await admin.ListAsync(cancellationToken));

    [Function("GetCampaign")]
    public async Task<HttpResponseData> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "campaigns/{id}")] HttpRequestData req, string id, CancellationToken cancellationToken) =>
        await req.JsonAsync(await admin.GetAsync(id, cancellationToken) ?? throw NotFound(id));

    [Function("PutCampaign")]
    public async Task<HttpResponseData> Put(
        [HttpTrigger(AuthorizationLevel.Admin, "put", Route = "campaigns/{id}")] HttpRequestData req, string id, CancellationToken cancellationToken)
    {
        var (campaign, created) = await admin.PutAsync(id, await RequestBody.ReadAsync(req, cancellationToken), cancellationToken);
        return await req.JsonAsync(campaign, created ? HttpStatusCode.Created : HttpStatusCode.OK);
    }

    [Function("DeleteCampaign")]
    public async Task<HttpResponseData> Delete(
        [HttpTrigger(AuthorizationLevel.Admin, "delete", Route = "campaigns/{id}")] HttpRequestData req, string id, CancellationToken cancellationToken) =>
        await admin.DeleteAsync(id, cancellationToken) ? req.CreateResponse(HttpStatusCode.NoContent) : throw NotFound(id);

    [Function("ImportCampaigns")]
    public async Task<HttpResponseData> Import(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "campaigns/import")] HttpRequestData req, CancellationToken cancellationToken)
    {
        var audioBaseUrl = HttpUtility.ParseQueryString(req.Url.Query)["audioBaseUrl"];
        var saved = await admin.ImportAsync(await RequestBody.ReadAsync(req, cancellationToken), audioBaseUrl, cancellationToken);
        var created = saved.Count(s => s.Created);
        return await req.JsonAsync(new { imported = saved.Count, created, updated = saved.Count - created, campaigns = saved.Select(s => s.Campaign.Id) });
    }

    private static NotFoundException NotFound(string id) => new($"No campaign '{id}'.");
}

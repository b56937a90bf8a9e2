using System.Net;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>The campaign admin API (function key required).</summary>
public sealed class CampaignFunctions(CampaignAdmin admin)
{
    private const int MaxBodyBytes = 1024 * 1024;

    [Function("ListCampaigns")]
    public async Task<HttpResponseData> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "campaigns")] HttpRequestData req) =>
        await req.JsonAsync(await admin.ListAsync(req.FunctionContext.CancellationToken));

    [Function("GetCampaign")]
    public async Task<HttpResponseData> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "campaigns/{id}")] HttpRequestData req, string id)
    {
        var campaign = await admin.GetAsync(id, req.FunctionContext.CancellationToken);
        return campaign is null ? await NotFoundAsync(req, id) : await req.JsonAsync(campaign);
    }

    [Function("PutCampaign")]
    public Task<HttpResponseData> Put(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "campaigns/{id}")] HttpRequestData req, string id) =>
        HandleAsync(req, async body =>
        {
            var (campaign, created) = await admin.PutAsync(id, body, req.FunctionContext.CancellationToken);
            return await req.JsonAsync(campaign, created ? HttpStatusCode.Created : HttpStatusCode.OK);
        });

    [Function("DeleteCampaign")]
    public async Task<HttpResponseData> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "campaigns/{id}")] HttpRequestData req, string id) =>
        await admin.DeleteAsync(id, req.FunctionContext.CancellationToken)
            ? req.CreateResponse(HttpStatusCode.NoContent)
            : await NotFoundAsync(req, id);

    [Function("ImportCampaigns")]
    public Task<HttpResponseData> Import(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "campaigns/import")] HttpRequestData req) =>
        HandleAsync(req, async body =>
        {
            var saved = await admin.ImportAsync(body, req.FunctionContext.CancellationToken);
            var created = saved.Count(s => s.Created);
            return await req.JsonAsync(new
            {
                imported = saved.Count,
                created,
                updated = saved.Count - created,
                campaigns = saved.Select(s => s.Campaign.Id),
            });
        });

    private static async Task<HttpResponseData> HandleAsync(HttpRequestData req, Func<ReadOnlyMemory<byte>, Task<HttpResponseData>> handle)
    {
        using var body = new MemoryStream();
        await req.Body.CopyToAsync(body, req.FunctionContext.CancellationToken);
        if (body.Length > MaxBodyBytes)
        {
            return await req.ProblemAsync(Problem.BadRequest("$", $"The body is larger than {MaxBodyBytes} bytes."));
        }

        try
        {
            return await handle(body.GetBuffer().AsMemory(0, (int)body.Length));
        }
        catch (ValidationException ex)
        {
            return await req.ProblemAsync(Problem.Validation(ex.Errors));
        }
        catch (CampaignConflictException ex)
        {
            return await req.ProblemAsync(Problem.Conflict(ex.Message, [new FieldError(ex.Field, ex.Message)]));
        }
    }

    private static Task<HttpResponseData> NotFoundAsync(HttpRequestData req, string id) =>
        req.ProblemAsync(Problem.NotFound($"No campaign '{id}'."));
}

using CallTracking.Functions.Common;
using CallTracking.Functions.Reporting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>Campaign statistics from the hourly aggregates.</summary>
public sealed class StatsFunctions(CampaignStatsService stats)
{
    [Function("CampaignStats")]
    public async Task<HttpResponseData> Campaign(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "campaigns/{id}/stats")] HttpRequestData req, string id,
        CancellationToken cancellationToken) =>
        await req.JsonAsync(await stats.GetAsync(id, Range(req), cancellationToken));

    [Function("AllCampaignStats")]
    public async Task<HttpResponseData> All(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "stats")] HttpRequestData req, CancellationToken cancellationToken) =>
        await req.JsonAsync(await stats.GetAllAsync(Range(req), cancellationToken));

    private ReportRange Range(HttpRequestData req)
    {
        var query = ReportHttp.Query(req);
        return ReportRange.Parse(query.GetValueOrDefault("from"), query.GetValueOrDefault("to"), query.GetValueOrDefault("tz"), stats.Now);
    }
}

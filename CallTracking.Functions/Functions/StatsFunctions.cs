using CallTracking.Functions.Common;
using CallTracking.Functions.Reporting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>Campaign statistics from the hourly aggregates.</summary>
public sealed class StatsFunctions(CampaignStatsService stats)
{
    [Function("CampaignStats")]
    public Task<HttpResponseData> Campaign(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "campaigns/{id}/stats")] HttpRequestData req, string id,
        CancellationToken cancellationToken) =>
        ReportHttp.RunAsync(req, async () =>
        {
            var query = ReportHttp.Query(req);
            var range = ReportRange.Parse(query.GetValueOrDefault("from"), query.GetValueOrDefault("to"), query.GetValueOrDefault("tz"), stats.Now);
            return await req.JsonAsync(await stats.GetAsync(id, range, cancellationToken));
        });

    [Function("AllCampaignStats")]
    public Task<HttpResponseData> All(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "stats")] HttpRequestData req, CancellationToken cancellationToken) =>
        ReportHttp.RunAsync(req, async () =>
        {
            var query = ReportHttp.Query(req);
            var range = ReportRange.Parse(query.GetValueOrDefault("from"), query.GetValueOrDefault("to"), query.GetValueOrDefault("tz"), stats.Now);
            return await req.JsonAsync(await stats.GetAllAsync(range, cancellationToken));
        });
}

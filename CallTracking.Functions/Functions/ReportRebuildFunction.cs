using CallTracking.Functions.Common;
using CallTracking.Functions.Reporting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>
/// Recomputes report aggregates of a range from the call ledger; admin level (master key), unlike the report reads.
/// Route is <c>reports/rebuild</c>, not <c>admin/...</c>: the Functions host reserves routes starting with "admin"
/// (even under the /api prefix).
/// </summary>
public sealed class ReportRebuildFunction(ReportRebuilder rebuilder, TimeProvider time)
{
    [Function("RebuildReports")]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "reports/rebuild")] HttpRequestData req, CancellationToken cancellationToken)
    {
        var query = ReportHttp.Query(req);
        var range = ReportRange.Parse(query.GetValueOrDefault("from"), query.GetValueOrDefault("to"), query.GetValueOrDefault("tz"), time.GetUtcNow());
        return await req.JsonAsync(await rebuilder.RebuildAsync(range.From, range.To, cancellationToken));
    }
}

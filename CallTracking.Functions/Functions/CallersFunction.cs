using CallTracking.Functions.Common;
using CallTracking.Functions.Reporting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>The callers list (the seed's contact list): one row per caller number, searchable by its last digits.</summary>
public sealed class CallersFunction(CallerList callers)
{
    [Function("ListCallers")]
    public async Task<HttpResponseData> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "callers")] HttpRequestData req, CancellationToken cancellationToken)
    {
        var (campaign, suffix, limit, after) = CallerList.ParseQuery(ReportHttp.Query(req));
        return await req.JsonAsync(await callers.ListAsync(campaign, suffix, limit, after, cancellationToken));
    }
}

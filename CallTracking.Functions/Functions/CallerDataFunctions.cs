using CallTracking.Functions.Common;
using CallTracking.Functions.Privacy;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>
/// A data-subject request for one caller number (admin level: it reads and erases personal data):
/// <c>GET /api/callers/{number}/data</c> exports everything held, <c>DELETE /api/callers/{number}[?by=who]</c> erases it.
/// The number in any format (<c>+447700900123</c>, <c>%2B447700900123</c>, <c>447700900123</c>).
/// </summary>
public sealed class CallerDataFunctions(CallerDataService callers)
{
    [Function("ExportCallerData")]
    public async Task<HttpResponseData> Export(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "callers/{number}/data")] HttpRequestData req,
        string number,
        CancellationToken cancellationToken) =>
        await req.JsonAsync(await callers.ExportAsync(number, cancellationToken));

    [Function("EraseCallerData")]
    public async Task<HttpResponseData> Erase(
        [HttpTrigger(AuthorizationLevel.Admin, "delete", Route = "callers/{number}")] HttpRequestData req,
        string number,
        CancellationToken cancellationToken) =>
        await req.JsonAsync(await callers.EraseAsync(number, ErasedBy(req), cancellationToken));

    /// <summary>Who asked: the signed-in principal when the app has authentication on, else the admin key and a note.</summary>
    private static string ErasedBy(HttpRequestData req)
    {
        var principal = req.Headers.TryGetValues("x-ms-client-principal-name", out var names) ? names.FirstOrDefault() : null;
        var by = req.Query["by"];
        if (by is { Length: > 200 })
        {
            throw new ValidationException("by", "Must be at most 200 characters (who asked, e.g. a ticket id).");
        }

        return string.Join(" / ", new[] { principal ?? "admin key", by }.Where(s => !string.IsNullOrWhiteSpace(s)));
    }
}

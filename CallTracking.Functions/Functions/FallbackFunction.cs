using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Common;
using CallTracking.Functions.Telemetry;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>
/// Vonage's <c>fallback_answer_url</c>, fetched when the answer URL failed twice. Its own class so that nothing
/// it needs touches storage: it must work when storage is the reason the answer failed.
/// </summary>
public sealed class FallbackFunction(FallbackNcco fallback, CallbackUrlResolver callbackUrls, CallTrackingMetrics metrics)
{
    [Function("Fallback")]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "fallback")] HttpRequestData req, CancellationToken cancellationToken)
    {
        var request = await AnswerRequest.ReadOrEmptyAsync(req, cancellationToken);
        // Vonage calls this only after our answer URL failed twice: worth an alert, so counted.
        metrics.AnswerFallback("fallback_url");
        return await AnswerFunctions.NccoAsync(req, fallback.Build(E164.FromVonage(request.To), callbackUrls.Resolve(req.Url)));
    }
}

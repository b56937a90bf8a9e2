using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Common;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>
/// Vonage's <c>fallback_answer_url</c>, fetched when the answer URL failed twice. Its own class so that nothing
/// it needs touches storage: it must work when storage is the reason the answer failed.
/// </summary>
public sealed class FallbackFunction(FallbackNcco fallback, CallbackUrlResolver callbackUrls)
{
    [Function("Fallback")]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "fallback")] HttpRequestData req, CancellationToken cancellationToken)
    {
        var request = await AnswerRequest.ReadOrEmptyAsync(req, cancellationToken);
        return await AnswerFunctions.NccoAsync(req, fallback.Build(E164.FromVonage(request.To), callbackUrls.Resolve(req.Url)));
    }
}

using System.Net;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>
/// Vonage's call webhooks after the answer (signed; see VonageSignatureMiddleware): the event webhook (every status of
/// both legs) and the NCCO record action's eventUrl. Both answer 204; a 400 naming the field, or 503 so Vonage
/// retries (every step of the intake is idempotent), come from <c>HttpProblemMiddleware</c>.
/// </summary>
public sealed class CallWebhookFunctions(CallIntake intake)
{
    [Function("Event")]
    public async Task<HttpResponseData> Event(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "event")] HttpRequestData req, CancellationToken cancellationToken)
    {
        var reply = await intake.HandleEventAsync(await RequestBody.ReadAsync(req, cancellationToken), new EventContext(req.Url), cancellationToken);
        return reply.Ncco is { } ncco ? await AnswerFunctions.NccoAsync(req, ncco) : req.CreateResponse(HttpStatusCode.NoContent);
    }

    [Function("Recording")]
    public async Task<HttpResponseData> Recording(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recording")] HttpRequestData req, CancellationToken cancellationToken)
    {
        await intake.HandleRecordingAsync(await RequestBody.ReadAsync(req, cancellationToken), new EventContext(req.Url), cancellationToken);
        return req.CreateResponse(HttpStatusCode.NoContent);
    }
}

using System.Net;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Vonage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Functions;

/// <summary>
/// Vonage's call webhooks after the answer (signed; see VonageSignatureMiddleware): the event webhook (every status of
/// both legs) and the NCCO record action's eventUrl. Both map the same way: 204, 400 naming the field, or 503 so
/// Vonage retries (every step of the intake is idempotent).
/// </summary>
public sealed class CallWebhookFunctions(CallIntake intake, ILogger<CallWebhookFunctions> logger)
{
    [Function("Event")]
    public Task<HttpResponseData> Event(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "event")] HttpRequestData req,
        FunctionContext context) =>
        HandleAsync(req, context, "event", intake.HandleEventAsync);

    [Function("Recording")]
    public Task<HttpResponseData> Recording(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recording")] HttpRequestData req,
        FunctionContext context) =>
        HandleAsync(req, context, "recording", intake.HandleRecordingAsync);

    private async Task<HttpResponseData> HandleAsync(
        HttpRequestData req,
        FunctionContext context,
        string webhook,
        Func<ReadOnlyMemory<byte>, CancellationToken, Task<VonageEvent>> handle)
    {
        var body = await VonageWebhookBody.ReadAsync(req, context.CancellationToken);
        if (body is null)
        {
            return await req.ProblemAsync(Problem.BadRequest("body", $"must not exceed {VonageWebhookBody.MaxBytes} bytes"));
        }

        try
        {
            await handle(body, context.CancellationToken);
            return req.CreateResponse(HttpStatusCode.NoContent);
        }
        catch (ValidationException ex)
        {
            logger.LogWarning("Rejected {Webhook} webhook: {Errors}", webhook, ex.Message);
            return await req.ProblemAsync(Problem.Validation(ex.Errors));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not record the {Webhook} webhook", webhook);
            return await req.ProblemAsync(WebhookProblems.RetryLater);
        }
    }
}

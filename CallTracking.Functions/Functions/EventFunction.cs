using System.Net;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Vonage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Functions;

/// <summary>Vonage's event webhook: every call status of both legs (signed; see VonageSignatureMiddleware).</summary>
public sealed class EventFunction(CallIntake intake, ILogger<EventFunction> logger)
{
    [Function("Event")]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "event")] HttpRequestData req,
        FunctionContext context)
    {
        var body = await VonageWebhookBody.ReadAsync(req, context.CancellationToken);
        if (body is null)
        {
            return await req.ProblemAsync(Problem.BadRequest("body", $"must not exceed {VonageWebhookBody.MaxBytes} bytes"));
        }

        try
        {
            await intake.HandleEventAsync(body, context.CancellationToken);
            return req.CreateResponse(HttpStatusCode.NoContent);
        }
        catch (ValidationException ex)
        {
            logger.LogWarning("Rejected event webhook: {Errors}", ex.Message);
            return await req.ProblemAsync(Problem.Validation(ex.Errors));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // 503 asks Vonage to retry; every step of the intake is idempotent.
            logger.LogError(ex, "Could not record a call event");
            return await req.ProblemAsync(WebhookProblems.RetryLater);
        }
    }
}

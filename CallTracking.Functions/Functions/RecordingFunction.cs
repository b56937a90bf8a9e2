using System.Net;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Vonage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Functions;

/// <summary>The NCCO record action's eventUrl: attaches the recording to the call (signed).</summary>
public sealed class RecordingFunction(CallIntake intake, ILogger<RecordingFunction> logger)
{
    [Function("Recording")]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "recording")] HttpRequestData req,
        FunctionContext context)
    {
        var body = await VonageWebhookBody.ReadAsync(req, context.CancellationToken);
        if (body is null)
        {
            return await req.ProblemAsync(Problem.BadRequest("body", $"must not exceed {VonageWebhookBody.MaxBytes} bytes"));
        }

        try
        {
            await intake.HandleRecordingAsync(body, context.CancellationToken);
            return req.CreateResponse(HttpStatusCode.NoContent);
        }
        catch (ValidationException ex)
        {
            logger.LogWarning("Rejected recording webhook: {Errors}", ex.Message);
            return await req.ProblemAsync(Problem.Validation(ex.Errors));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not attach a recording");
            return await req.ProblemAsync(WebhookProblems.RetryLater);
        }
    }
}

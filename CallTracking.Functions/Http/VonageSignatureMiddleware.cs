using System.Net;
using CallTracking.Functions.Common;
using CallTracking.Functions.Vonage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Http;

/// <summary>
/// Rejects Vonage-facing webhooks (<see cref="VonageWebhooks.SignedFunctions"/>) whose signed JWT does not verify:
/// 401 with a problem body, and the function never runs, so nothing is written. Without a signature secret they
/// answer 503 (<see cref="WebhookSignaturePolicy"/>).
/// </summary>
public sealed class VonageSignatureMiddleware(
    VonageSignatureVerifier verifier,
    WebhookSignaturePolicy policy,
    TimeProvider time,
    ILogger<VonageSignatureMiddleware> logger) : IFunctionsWorkerMiddleware
{
    private static readonly Problem NoSecret = new("https://calltracking.dev/problems/not-configured", "Service unavailable.",
        (int)HttpStatusCode.ServiceUnavailable, "Webhook signatures cannot be verified: the app has no Vonage signature secret.");

    private readonly LogThrottle _noSecretLog = new(time, TimeSpan.FromMinutes(1));

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (!policy.Verify)
        {
            await next(context);
            return;
        }

        var request = await context.GetHttpRequestDataAsync();
        if (request is null)
        {
            await next(context);
            return;
        }

        if (policy.SecretMissing)
        {
            if (_noSecretLog.ShouldLog())
            {
                logger.LogError("Answered {Function} webhook with 503: Vonage__SignatureSecret is not set (logged once a minute)",
                    context.FunctionDefinition.Name);
            }

            await RespondAsync(context, request, NoSecret);
            return;
        }

        // Over its limit, the body is refused with 413 (HttpProblemMiddleware) before the signature is even checked.
        var body = await RequestBody.ReadAsync(request, context.CancellationToken);
        var authorization = request.Headers.TryGetValues("Authorization", out var values) ? values.FirstOrDefault() : null;
        var result = verifier.Verify(authorization, request.Method, body.Span);
        if (!result.IsValid)
        {
            logger.LogWarning("Rejected unsigned or forged {Function} webhook: {Reason}", context.FunctionDefinition.Name, result.Reason);
            await RespondAsync(context, request, Problem.Unauthorized("The request does not carry a valid Vonage signature."));
            return;
        }

        try
        {
            await next(context);
        }
        catch (Exception ex) when (!HttpProblemMiddleware.IsRequestFault(context.FunctionDefinition.Name, ex))
        {
            // Our failure (answered 5xx further out): Vonage may retry with the same token. A request at fault
            // (answered 4xx) keeps its token spent, as when the function answers 4xx itself.
            verifier.Release(result.Jti);
            throw;
        }

        // A failure on our side asks Vonage to retry, possibly with the same token: let it through again.
        if (context.GetHttpResponseData() is { } response && (int)response.StatusCode >= 500)
        {
            verifier.Release(result.Jti);
        }
    }

    private static async Task RespondAsync(FunctionContext context, HttpRequestData request, Problem problem) =>
        context.GetInvocationResult().Value = await request.ProblemAsync(problem);
}

using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Reporting;
using CallTracking.Functions.Vonage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Http;

/// <summary>
/// The one place where HTTP functions' failures become problem bodies, so functions only bind and call: bad input
/// (<see cref="ValidationException"/>, <see cref="MalformedJsonException"/>) → 400, a body over its limit → 413,
/// unknown things → 404, conflicts → 409. The Vonage call webhooks that Vonage retries
/// (<see cref="VonageWebhooks.RetriedOnFailure"/>) answer any other failure with 503. Everything else is left to
/// the host (500): our own bugs and outages stay visible as failures. The answer webhook never gets here on a
/// failure of ours: <c>AnswerService</c> answers those with the fallback NCCO itself.
/// </summary>
public sealed class HttpProblemMiddleware(ILogger<HttpProblemMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        var function = context.FunctionDefinition.Name;
        Problem problem;
        try
        {
            await next(context);
            return;
        }
        catch (Exception ex) when (ToProblem(function, ex) is { } mapped)
        {
            problem = mapped;
            Log(function, ex, problem);
        }

        var request = await context.GetHttpRequestDataAsync()
            ?? throw new InvalidOperationException($"{nameof(HttpProblemMiddleware)} runs for HTTP functions only ('{function}').");
        context.GetInvocationResult().Value = await request.ProblemAsync(problem);
    }

    /// <summary>The problem that answers <paramref name="exception"/> in <paramref name="function"/>; null: not ours to answer.</summary>
    public static Problem? ToProblem(string function, Exception exception) => exception switch
    {
        ValidationException e => Problem.Validation(e.Errors),
        MalformedJsonException e => Problem.BadRequest("$", e.Message),
        RequestBodyTooLargeException e => Problem.PayloadTooLarge(e.Limit),
        NotFoundException e => Problem.NotFound(e.Message) with { Errors = e.Field is null ? null : [new FieldError(e.Field, e.Message)] },
        ReportNotFoundException e => Problem.NotFound(e.Message) with { Errors = [new FieldError(e.Field, e.Message)] },
        CampaignConflictException e => Problem.Conflict(e.Message, [new FieldError(e.Field, e.Message)]),
        OperationCanceledException => null,
        _ when VonageWebhooks.RetriedOnFailure.Contains(function) => WebhookProblems.RetryLater,
        _ => null,
    };

    /// <summary>True when the request itself is at fault (a 4xx), as opposed to a failure on our side.</summary>
    public static bool IsRequestFault(string function, Exception exception) => ToProblem(function, exception) is { Status: < 500 };

    private void Log(string function, Exception exception, Problem problem)
    {
        if (problem.Status >= 500)
        {
            logger.LogError(exception, "Could not handle the {Function} webhook; answered {Status} so Vonage retries", function, problem.Status);
        }
        else if (VonageWebhooks.SignedFunctions.Contains(function))
        {
            // Vonage itself never sends bad input: worth a warning.
            logger.LogWarning("Rejected {Function} webhook with {Status}: {Detail}", function, problem.Status, problem.Detail);
        }
        else
        {
            logger.LogInformation("Answered {Function} with {Status}: {Detail}", function, problem.Status, problem.Detail);
        }
    }
}

/// <summary>Wiring of the HTTP edge (Program.cs).</summary>
public static class HttpEdge
{
    public static IServiceCollection AddHttpEdge(this IServiceCollection services) =>
        services.AddSingleton<HttpProblemMiddleware>().AddSingleton<VonageSignatureMiddleware>();

    /// <summary>The signature check, for the Vonage-facing functions only (Program.cs), inside <see cref="UseHttpProblems"/>.</summary>
    public static IFunctionsWorkerApplicationBuilder UseVonageSignatures(this IFunctionsWorkerApplicationBuilder builder) =>
        builder.UseWhen<VonageSignatureMiddleware>(VonageWebhooks.IsSignedWebhook);

    /// <summary>
    /// Outermost, before <see cref="UseVonageSignatures"/>: failures of the signature middleware
    /// itself (a body over its limit) are answered here too.
    /// </summary>
    public static IFunctionsWorkerApplicationBuilder UseHttpProblems(this IFunctionsWorkerApplicationBuilder builder) =>
        builder.UseWhen<HttpProblemMiddleware>(IsHttpTriggered);

    private static bool IsHttpTriggered(FunctionContext context)
    {
        foreach (var binding in context.FunctionDefinition.InputBindings.Values)
        {
            if (binding.Type.Equals("httpTrigger", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}

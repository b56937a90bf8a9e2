using System.Globalization;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Configuration;

namespace CallTracking.Functions.Telemetry;

/// <summary>
/// Counts poison moves as far as the worker can see them. The Functions host moves a message to <c>-poison</c>
/// itself and tells the worker nothing, but the trigger's <c>DequeueCount</c> says when an attempt is the last one:
/// a failure at <c>maxDequeueCount</c> is a move to <c>-poison</c> (<see cref="CallTrackingMetrics.QueueMessagePoisoned"/>).
/// </summary>
public sealed class PoisonCountingMiddleware(CallTrackingMetrics metrics, IConfiguration configuration) : IFunctionsWorkerMiddleware
{
    /// <summary>host.json's value, unless an app setting overrides it (as the host reads it).</summary>
    private readonly int _maxDequeueCount = MaxDequeueCount(configuration, Path.Combine(AppContext.BaseDirectory, "host.json"));

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch when (IsLastAttempt(context))
        {
            metrics.QueueMessagePoisoned(context.FunctionDefinition.Name);
            throw;
        }
    }

    public static bool IsQueueTriggered(FunctionContext context) =>
        context.FunctionDefinition.InputBindings.Values.Any(b => b.Type.Equals("queueTrigger", StringComparison.OrdinalIgnoreCase));

    /// <summary>The host's default is 5; an app setting <c>AzureFunctionsJobHost__extensions__queues__maxDequeueCount</c> wins over host.json.</summary>
    public static int MaxDequeueCount(IConfiguration configuration, string hostJsonPath)
    {
        if (int.TryParse(configuration["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"], CultureInfo.InvariantCulture, out var overridden))
        {
            return overridden;
        }

        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(hostJsonPath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (json.RootElement.TryGetProperty("extensions", out var extensions)
                && extensions.TryGetProperty("queues", out var queues)
                && queues.TryGetProperty("maxDequeueCount", out var max)
                && max.TryGetInt32(out var value))
            {
                return value;
            }
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            // No readable host.json: the host's default applies.
        }

        return 5;
    }

    private bool IsLastAttempt(FunctionContext context) =>
        context.BindingContext.BindingData.TryGetValue("DequeueCount", out var value)
        && long.TryParse(Convert.ToString(value, CultureInfo.InvariantCulture), CultureInfo.InvariantCulture, out var dequeueCount)
        && dequeueCount >= _maxDequeueCount;
}

using System.Net;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CallTracking.Functions.Common;

/// <summary>
/// Part of the app's Table and Queue clients' pipelines: when a request finds its table or queue missing (storage
/// reset or restarted empty, a table deleted by hand, start-up creation not done yet because storage was down), it
/// has <see cref="StorageInitializer"/> create them all and sends the request once more. So tables are created at
/// start-up, not on every live path, and no live path fails forever because one went missing.
/// <para>
/// Resending is safe: storage rejected the request without doing anything. A point read of a missing table comes
/// back as "no such row" (the SDK hides the 404), which is true either way; the next write then recovers.
/// </para>
/// </summary>
public sealed class MissingStorageRecovery(Func<StorageInitializer> initializer) : HttpPipelinePolicy
{
    public const string TableNotFound = "TableNotFound";
    public const string QueueNotFound = "QueueNotFound";

    // Resolved on first use: the initializer needs the very clients this policy is part of.
    private readonly Lazy<StorageInitializer> _initializer = new(initializer);

    public static bool IsMissingStorageCode(string? errorCode) => errorCode is TableNotFound or QueueNotFound;

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var storage = _initializer.Value;
        var runsBefore = storage.CompletedRuns;
        await ProcessNextAsync(message, pipeline);
        if (StorageInitializer.IsCreatingOnThisFlow || !FoundStorageMissing(message))
        {
            return;
        }

        await storage.RecreateAsync(runsBefore, message.CancellationToken);
        await ProcessNextAsync(message, pipeline);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var storage = _initializer.Value;
        var runsBefore = storage.CompletedRuns;
        ProcessNext(message, pipeline);
        if (StorageInitializer.IsCreatingOnThisFlow || !FoundStorageMissing(message))
        {
            return;
        }

        storage.RecreateAsync(runsBefore, message.CancellationToken).GetAwaiter().GetResult();
        ProcessNext(message, pipeline);
    }

    /// <summary>True when storage answered that the request's table or queue does not exist.</summary>
    public static bool FoundStorageMissing(HttpMessage message)
    {
        if (!message.HasResponse)
        {
            return false;
        }

        var response = message.Response;
        if (response.Status == (int)HttpStatusCode.NotFound)
        {
            return (response.Headers.TryGetValue("x-ms-error-code", out var code) && IsMissingStorageCode(code))
                || BodyContains(response, TableNotFound) || BodyContains(response, QueueNotFound);
        }

        // An entity-group transaction answers 202 and reports its failed action inside the multipart body.
        return response.Status == (int)HttpStatusCode.Accepted
            && message.Request.Uri.Path.EndsWith("$batch", StringComparison.Ordinal)
            && BodyContains(response, TableNotFound);
    }

    // Table and Queue responses are buffered (a MemoryStream); anything streamed is left alone.
    private static bool BodyContains(Response response, string errorCode) =>
        response.ContentStream is MemoryStream && response.Content.ToString().Contains(errorCode, StringComparison.Ordinal);
}

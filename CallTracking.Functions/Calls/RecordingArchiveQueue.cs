using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Storage.Queues;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Calls;

/// <summary>The copy job of one call's recording on <c>recordings</c> (the archiver reads the rest from the ledger).</summary>
public sealed record RecordingArchiveMessage([property: JsonPropertyName("callId")] string CallId);

/// <summary>
/// Sends a call's <see cref="RecordingArchiveMessage"/> when the ledger knows a recording that is not archived yet.
/// A duplicate webhook may send a second message: the archiver is idempotent per call (it checks the ledger and the
/// blob before downloading), so the recording lands in Blob Storage once.
/// </summary>
public sealed class RecordingArchiveQueue(QueueServiceClient queues)
{
    private readonly QueueClient _queue = queues.GetQueueClient(StorageNames.RecordingsQueue);

    public async Task SendIfNotArchivedAsync(CallRecord call, CancellationToken cancellationToken = default)
    {
        if (call.RecordingUrl is null || call.RecordingBlob is not null || call.CallerErasedAt is not null)
        {
            return;
        }

        await SendAsync(call.PartitionKey, cancellationToken);
    }

    public Task SendAsync(string callId, CancellationToken cancellationToken = default) =>
        _queue.SendMessageAsync(JsonSerializer.Serialize(new RecordingArchiveMessage(callId)), cancellationToken: cancellationToken);
}

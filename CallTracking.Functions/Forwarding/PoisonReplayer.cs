using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Telemetry;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// Moves messages that exhausted their retries from a queue's <c>-poison</c> queue back to the queue (all, or one
/// call's): <c>calls-completed</c>, <c>calls-watchdog</c> or <c>recordings</c>. The processor and the watchdog are idempotent and the
/// delivery ledger remembers what each sink already has, so a replayed call only goes to the sinks that still need it.
/// </summary>
public sealed class PoisonReplayer(QueueServiceClient queues, CallTrackingMetrics metrics, ILogger<PoisonReplayer> logger)
{
    /// <summary>Upper bound per request, so one call of the admin endpoint stays short.</summary>
    public const int MaxMessagesPerReplay = 5000;

    /// <summary>The queues whose poison can be replayed; all carry <c>{"callId": ...}</c> messages (the watchdog's also <c>{"callIds": [...]}</c>).</summary>
    public static readonly IReadOnlyList<string> ReplayableQueues =
        [StorageNames.CallsCompletedQueue, StorageNames.CallsWatchdogQueue, StorageNames.RecordingsQueue, StorageNames.CallbacksQueue];

    private static readonly TimeSpan HoldWhileMoving = TimeSpan.FromSeconds(60);

    public async Task<ReplayResult> ReplayAsync(string? callId, CancellationToken cancellationToken = default) =>
        await ReplayAsync(StorageNames.CallsCompletedQueue, callId, cancellationToken);

    public async Task<ReplayResult> ReplayAsync(string queue, string? callId, CancellationToken cancellationToken = default)
    {
        if (!ReplayableQueues.Contains(queue, StringComparer.Ordinal))
        {
            throw new ArgumentOutOfRangeException(nameof(queue), queue, "Not a replayable queue.");
        }

        var poisonName = StorageNames.PoisonQueue(queue);
        var poison = queues.GetQueueClient(poisonName);
        var target = queues.GetQueueClient(queue);
        var moved = 0;
        var skipped = new List<QueueMessage>();

        while (moved + skipped.Count < MaxMessagesPerReplay)
        {
            // Received messages stay invisible for a while, so each one is seen once per replay.
            var batch = (await poison.ReceiveMessagesAsync(32, HoldWhileMoving, cancellationToken)).Value;
            if (batch.Length == 0)
            {
                break;
            }

            foreach (var message in batch)
            {
                var messageCallIds = ReadCallIds(message);
                var messageCallId = messageCallIds.FirstOrDefault();
                if (callId is not null && !messageCallIds.Contains(callId, StringComparer.Ordinal))
                {
                    skipped.Add(message);
                    continue;
                }

                if (callId is not null && messageCallIds.Count > 1)
                {
                    // A batch's watchdog message: only the asked-for call's check goes back, the others stay in poison
                    // (visible again at once; without this call, so this replay skips them when it meets them again).
                    await target.SendMessageAsync(JsonSerializer.Serialize(new CallWatchdogMessage(callId)), cancellationToken: cancellationToken);
                    var others = new CallWatchdogMessage(null, messageCallIds.Where(id => id != callId).ToList());
                    await poison.UpdateMessageAsync(message.MessageId, message.PopReceipt, JsonSerializer.Serialize(others), TimeSpan.Zero, cancellationToken);
                    moved++;
                    continue;
                }

                // Send first, then delete: a crash in between leaves a duplicate, which the processor absorbs.
                await target.SendMessageAsync(message.Body, cancellationToken: cancellationToken);
                await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
                moved++;
                logger.LogDebug("Replayed call {CallId} from {Queue}", messageCallId ?? "(unreadable)", poisonName);
            }
        }

        // Other calls' messages go back to being visible at once.
        foreach (var message in skipped)
        {
            await poison.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken);
        }

        metrics.PoisonMessagesReplayed(queue, moved);
        // One line per replay (an operator's action) instead of one per message.
        logger.LogInformation("Replayed {Moved} message(s) from {Queue}{ForCall}", moved, poisonName, callId is null ? "" : " for call " + callId);
        return new ReplayResult(moved, callId, queue);
    }

    /// <summary>
    /// The calls a message is about: <c>callId</c> (call, watchdog and recording messages), <c>CallId</c> (callbacks) or
    /// <c>callIds</c> (the watchdog's batches of started calls); none when unreadable.
    /// </summary>
    private static IReadOnlyList<string> ReadCallIds(QueueMessage message)
    {
        try
        {
            using var json = JsonDocument.Parse(message.Body.ToMemory());
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return [];
            }

            if ((root.TryGetProperty("callId", out var id) || root.TryGetProperty("CallId", out id)) && id.ValueKind == JsonValueKind.String)
            {
                return [id.GetString()!];
            }

            return root.TryGetProperty("callIds", out var ids) && ids.ValueKind == JsonValueKind.Array
                ? ids.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}

/// <summary>What a replay did.</summary>
public sealed record ReplayResult(int Moved, string? CallId, string Queue);

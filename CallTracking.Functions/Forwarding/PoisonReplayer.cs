using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// Moves messages that exhausted their retries from <c>calls-completed-poison</c> back to <c>calls-completed</c>
/// (all, or one call's). The processor is idempotent and the delivery ledger remembers what each sink already
/// has, so a replayed call only goes to the sinks that still need it.
/// </summary>
public sealed class PoisonReplayer(QueueServiceClient queues, StorageInitializer initializer, ILogger<PoisonReplayer> logger)
{
    /// <summary>Upper bound per request, so one call of the admin endpoint stays short.</summary>
    public const int MaxMessagesPerReplay = 5000;

    private static readonly TimeSpan HoldWhileMoving = TimeSpan.FromSeconds(60);

    public async Task<ReplayResult> ReplayAsync(string? callId, CancellationToken cancellationToken = default)
    {
        await initializer.EnsureCreatedAsync(cancellationToken);
        var poison = queues.GetQueueClient(StorageNames.CallsCompletedPoisonQueue);
        var target = queues.GetQueueClient(StorageNames.CallsCompletedQueue);
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
                var messageCallId = ReadCallId(message);
                if (callId is not null && !string.Equals(messageCallId, callId, StringComparison.Ordinal))
                {
                    skipped.Add(message);
                    continue;
                }

                // Send first, then delete: a crash in between leaves a duplicate, which the processor absorbs.
                await target.SendMessageAsync(message.Body, cancellationToken: cancellationToken);
                await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
                moved++;
                logger.LogInformation("Replayed call {CallId} from {Queue}", messageCallId ?? "(unreadable)", StorageNames.CallsCompletedPoisonQueue);
            }
        }

        // Other calls' messages go back to being visible at once.
        foreach (var message in skipped)
        {
            await poison.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken);
        }

        return new ReplayResult(moved, callId);
    }

    private static string? ReadCallId(QueueMessage message)
    {
        try
        {
            return message.Body.ToObjectFromJson<CallCompletedMessage>()?.CallId;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What a replay did.</summary>
public sealed record ReplayResult(int Moved, string? CallId);

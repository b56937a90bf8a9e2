using System.Text.Json;
using Azure.Storage.Queues;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Calls;

/// <summary>
/// Sends a finished call's one <see cref="CallCompletedMessage"/> on <c>calls-completed</c>, after its sender won the
/// claim (<see cref="CallStateMachine.TryClaimEnqueue"/>), then records <see cref="CallRecord.EnqueuedAt"/>.
/// If the send fails the claim is released so the next delivery (Vonage's retry, a later event) sends it; if even the
/// release fails the claim goes stale and is taken over. A crash between the send and the EnqueuedAt write can
/// therefore produce a second message: the processor must be idempotent per call id.
/// </summary>
public sealed class CompletionNotifier(
    QueueServiceClient queues,
    CallStore calls,
    IOptions<CallTrackingOptions> options,
    TimeProvider time,
    ILogger<CompletionNotifier> logger)
{
    private readonly QueueClient _queue = queues.GetQueueClient(StorageNames.CallsCompletedQueue);

    public async Task SendAsync(string callId, DateTimeOffset claimedAt, CancellationToken cancellationToken = default)
    {
        // The delay lets the recording webhook (and late agent-leg events) land before the processor reads the call.
        var delay = TimeSpan.FromSeconds(options.Value.ProcessingDelaySeconds);
        try
        {
            await _queue.SendMessageAsync(Message(callId), visibilityTimeout: delay, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Could not queue completed call {CallId}; releasing the claim for a retry", callId);
            await ReleaseClaimAsync(callId, claimedAt);
            throw;
        }

        await calls.UpdateAsync(callId, call =>
        {
            if (call.EnqueuedAt is not null)
            {
                return false;
            }

            call.EnqueuedAt = time.GetUtcNow();
            return true;
        }, cancellationToken);
        // Debug: one line per call that says only that the normal path was taken.
        logger.LogDebug("Call {CallId} completed; queued for processing in {DelaySeconds}s", callId, delay.TotalSeconds);
    }

    /// <summary>Sends the call's message again without a claim (the first one was lost; processing is idempotent).</summary>
    public Task ResendAsync(string callId, CancellationToken cancellationToken = default) =>
        _queue.SendMessageAsync(Message(callId), cancellationToken: cancellationToken);

    private static string Message(string callId) => JsonSerializer.Serialize(new CallCompletedMessage(callId));

    private async Task ReleaseClaimAsync(string callId, DateTimeOffset claimedAt)
    {
        try
        {
            await calls.UpdateAsync(callId, call =>
            {
                if (call.EnqueuedAt is not null || call.EnqueueClaimedAt != claimedAt)
                {
                    return false;
                }

                call.EnqueueClaimedAt = null;
                return true;
            });
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not release the enqueue claim of call {CallId}; it will be taken over when stale", callId);
        }
    }
}

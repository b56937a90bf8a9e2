using System.Text.Json;
using Azure.Storage.Queues;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// Puts a call back on <c>calls-completed</c>, invisible for a while: used instead of a throw when another invocation
/// holds a fresh claim on a sink (a throw would burn one of the message's dequeues and, under load, poison a call that
/// is being delivered just fine), and by the failed-delivery replay.
/// </summary>
public sealed class DeliveryRequeue(QueueServiceClient queues)
{
    /// <summary>The queue's own limit on how long a message may stay invisible is 7 days; ours never needs more than this.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromHours(1);

    private readonly QueueClient _queue = queues.GetQueueClient(StorageNames.CallsCompletedQueue);

    public async Task SendAsync(string callId, TimeSpan delay, CancellationToken cancellationToken = default)
    {
        var visibility = delay < TimeSpan.Zero ? TimeSpan.Zero : delay > MaxDelay ? MaxDelay : delay;
        await _queue.SendMessageAsync(JsonSerializer.Serialize(new CallCompletedMessage(callId)), visibilityTimeout: visibility,
            cancellationToken: cancellationToken);
    }
}

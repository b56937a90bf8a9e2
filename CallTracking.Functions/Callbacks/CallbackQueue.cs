using System.Text.Json;
using Azure.Storage.Queues;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Callbacks;

/// <summary>Sends <c>callbacks</c> messages, delayed with the visibility timeout (no timer triggers).</summary>
public sealed class CallbackQueue(QueueServiceClient queues)
{
    private readonly QueueClient _queue = queues.GetQueueClient(StorageNames.CallbacksQueue);

    public Task SendAsync(CallbackMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        var visibility = delay <= TimeSpan.Zero ? (TimeSpan?)null : delay > CallbackRules.MaxDelay ? CallbackRules.MaxDelay : delay;
        return _queue.SendMessageAsync(JsonSerializer.Serialize(message), visibility, cancellationToken: cancellationToken);
    }
}

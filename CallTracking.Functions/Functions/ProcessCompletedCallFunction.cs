using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using Microsoft.Azure.Functions.Worker;

namespace CallTracking.Functions.Functions;

/// <summary>
/// One finished call from <c>calls-completed</c>. A throw (a sink still needs the call) makes the queue redeliver
/// after host.json's visibilityTimeout, up to maxDequeueCount, then <c>calls-completed-poison</c>.
/// </summary>
public sealed class ProcessCompletedCallFunction(CallProcessor processor)
{
    [Function("ProcessCompletedCall")]
    public Task Run(
        [QueueTrigger(StorageNames.CallsCompletedQueue, Connection = StorageNames.StorageConnection)] CallCompletedMessage message,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(message?.CallId))
        {
            throw new InvalidOperationException("A calls-completed message without a callId cannot be processed.");
        }

        return processor.ProcessAsync(message.CallId, cancellationToken);
    }
}

using CallTracking.Functions.Callbacks;
using CallTracking.Functions.Common;
using Microsoft.Azure.Functions.Worker;

namespace CallTracking.Functions.Functions;

/// <summary>One attempt of a missed call's callback (queued by the processing stage, later ones delayed).</summary>
public sealed class PlaceCallbackFunction(CallbackDialer dialer)
{
    [Function("PlaceCallback")]
    public Task Run(
        [QueueTrigger(StorageNames.CallbacksQueue, Connection = StorageNames.StorageConnection)] CallbackMessage message,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(message?.CallId))
        {
            throw new InvalidOperationException("A callbacks message without a callId cannot be placed.");
        }

        return dialer.PlaceAsync(message, cancellationToken);
    }
}

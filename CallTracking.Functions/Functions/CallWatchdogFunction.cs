using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using Microsoft.Azure.Functions.Worker;

namespace CallTracking.Functions.Functions;

/// <summary>The delayed check of one answered call: closes it if its final events never arrived.</summary>
public sealed class CallWatchdogFunction(StaleCallWatchdog watchdog)
{
    [Function("CheckStaleCall")]
    public Task Run(
        [QueueTrigger(StorageNames.CallsWatchdogQueue, Connection = StorageNames.StorageConnection)] CallWatchdogMessage message,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(message?.CallId))
        {
            throw new InvalidOperationException("A calls-watchdog message without a callId cannot be checked.");
        }

        return watchdog.CheckAsync(message.CallId, cancellationToken);
    }
}

using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using Microsoft.Azure.Functions.Worker;

namespace CallTracking.Functions.Functions;

/// <summary>The delayed check of answered calls (one, or a batch the start writer recorded together): closes those whose final events never arrived.</summary>
public sealed class CallWatchdogFunction(StaleCallWatchdog watchdog)
{
    [Function("CheckStaleCall")]
    public Task Run(
        [QueueTrigger(StorageNames.CallsWatchdogQueue, Connection = StorageNames.StorageConnection)] CallWatchdogMessage message,
        CancellationToken cancellationToken)
    {
        var callIds = message?.AllCallIds() ?? [];
        if (callIds.Count == 0)
        {
            throw new InvalidOperationException("A calls-watchdog message without a callId or callIds cannot be checked.");
        }

        return watchdog.CheckAllAsync(callIds, cancellationToken);
    }
}

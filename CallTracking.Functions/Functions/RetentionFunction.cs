using CallTracking.Functions.Common;
using CallTracking.Functions.Privacy;
using Microsoft.Azure.Functions.Worker;

namespace CallTracking.Functions.Functions;

/// <summary>The daily retention purge: a self-rescheduling delayed message on <c>retention</c> (no timer trigger).</summary>
public sealed class RetentionFunction(RetentionSchedule schedule)
{
    [Function("PurgeExpiredData")]
    public Task Run(
        [QueueTrigger(StorageNames.RetentionQueue, Connection = StorageNames.StorageConnection)] RetentionMessage message,
        CancellationToken cancellationToken) =>
        message is null
            ? throw new InvalidOperationException("A retention message without a due time cannot be run.")
            : schedule.RunAsync(message, cancellationToken);
}

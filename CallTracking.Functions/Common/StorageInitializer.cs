using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace CallTracking.Functions.Common;

/// <summary>
/// Creates the tables and queues the app needs, once per process, off the live call path.
/// Creation is idempotent, so every instance may run it.
/// </summary>
public sealed class StorageInitializer(TableServiceClient tables, QueueServiceClient queues)
{
    private static readonly string[] Tables =
    [
        StorageNames.CampaignsTable, StorageNames.CallsTable, StorageNames.CallEventsTable,
        StorageNames.CallersTable, StorageNames.DeliveriesTable, StorageNames.CampaignStatsTable,
        StorageNames.CampaignCallsTable,
    ];

    private static readonly string[] Queues = [StorageNames.CallsCompletedQueue, StorageNames.CallsCompletedPoisonQueue, StorageNames.CallsWatchdogQueue];

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _done;

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        if (_done)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_done)
            {
                return;
            }

            await Task.WhenAll(
                Tables.Select(t => tables.CreateTableIfNotExistsAsync(t, cancellationToken))
                    .Concat<Task>(Queues.Select(q => queues.GetQueueClient(q).CreateIfNotExistsAsync(cancellationToken: cancellationToken))));
            _done = true;
        }
        finally
        {
            _gate.Release();
        }
    }
}

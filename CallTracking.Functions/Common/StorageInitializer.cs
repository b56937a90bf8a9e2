using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Common;

/// <summary>
/// Creates the tables and queues the app needs: once at start-up (<see cref="StorageInitializerService"/>), and again
/// only when a request finds one missing (<see cref="MissingStorageRecovery"/>: storage reset, a table deleted).
/// Live paths never call it. Creation is idempotent, so every instance may run it; concurrent callers share one run.
/// </summary>
public sealed class StorageInitializer(TableServiceClient tables, QueueServiceClient queues, BlobServiceClient blobs, ILogger<StorageInitializer> logger)
{
    private static readonly string[] Tables =
    [
        StorageNames.CampaignsTable, StorageNames.CallsTable, StorageNames.CallEventsTable,
        StorageNames.CallersTable, StorageNames.DeliveriesTable, StorageNames.CampaignStatsTable,
        StorageNames.CampaignCallsTable, StorageNames.AgentsTable, StorageNames.HoldCallsTable, StorageNames.PrivacyAuditTable,
        StorageNames.CallbacksTable,
    ];

    // The poison queues too: replay reads them before the host has ever poisoned a message.
    private static readonly string[] Queues =
    [
        StorageNames.CallsCompletedQueue, StorageNames.CallsCompletedPoisonQueue,
        StorageNames.CallsWatchdogQueue, StorageNames.PoisonQueue(StorageNames.CallsWatchdogQueue),
        StorageNames.HoldQueueQueue, StorageNames.PoisonQueue(StorageNames.HoldQueueQueue),
        StorageNames.RecordingsQueue, StorageNames.PoisonQueue(StorageNames.RecordingsQueue),
        StorageNames.RetentionQueue, StorageNames.PoisonQueue(StorageNames.RetentionQueue),
        StorageNames.CallbacksQueue, StorageNames.PoisonQueue(StorageNames.CallbacksQueue),
    ];

    // True on the async flow of a creation run, so its own requests are never "recovered" into waiting for itself.
    private static readonly AsyncLocal<bool> CreatingOnThisFlow = new();

    private readonly Lock _lock = new();
    private Task? _run;
    private int _completedRuns;

    /// <summary>True once every table and queue has been created (or found) in this process.</summary>
    public bool IsCreated => Volatile.Read(ref _completedRuns) > 0;

    /// <summary>How many creation runs have completed; a request that failed before the count moved may ask for another.</summary>
    public int CompletedRuns => Volatile.Read(ref _completedRuns);

    internal static bool IsCreatingOnThisFlow => CreatingOnThisFlow.Value;

    /// <summary>Creates every table and queue unless that already succeeded in this process.</summary>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (IsCreated)
            {
                return Task.CompletedTask;
            }

            return (_run ??= Task.Run(RunAsync, CancellationToken.None)).WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Creates every table and queue again because a request found one missing, unless a run completed after that
    /// request was sent (<paramref name="completedRunsBeforeRequest"/>): a burst of failures caused by one missing
    /// table leads to one run.
    /// </summary>
    public Task RecreateAsync(int completedRunsBeforeRequest, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_run is null && CompletedRuns > completedRunsBeforeRequest)
            {
                return Task.CompletedTask;
            }

            if (_run is null)
            {
                logger.LogWarning("A table or queue is missing (storage was reset or it was deleted); creating them again.");
            }

            return (_run ??= Task.Run(RunAsync, CancellationToken.None)).WaitAsync(cancellationToken);
        }
    }

    // Runs on the thread pool, never inline under the caller's lock (it takes the lock to finish). Not cancellable:
    // callers share the run, each waits with its own token.
    private async Task RunAsync()
    {
        CreatingOnThisFlow.Value = true;
        try
        {
            await Task.WhenAll(
                Tables.Select(t => tables.CreateTableIfNotExistsAsync(t, CancellationToken.None))
                    .Concat<Task>(Queues.Select(q => queues.GetQueueClient(q).CreateIfNotExistsAsync(cancellationToken: CancellationToken.None)))
                    .Append(blobs.GetBlobContainerClient(StorageNames.RecordingsContainer).CreateIfNotExistsAsync(cancellationToken: CancellationToken.None)));
            lock (_lock)
            {
                _completedRuns++;
                _run = null;
            }
        }
        catch
        {
            // A failed run is forgotten, so the next caller starts a new one.
            lock (_lock)
            {
                _run = null;
            }

            throw;
        }
    }
}

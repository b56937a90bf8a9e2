using Azure.Data.Tables;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Reporting;

/// <summary>
/// Applies each processed call to its campaign's reports: the hour aggregate with its day and month rollups, the CDR
/// projection row and the idempotency marker, in one entity-group transaction (all or nothing, so a crash never
/// half-counts a call). Applying the same call again changes nothing; applying it with changed data (say, a late
/// recording or a corrected outcome) moves its contribution, so the aggregate always equals the sum of the applied
/// entries.
/// <para>
/// Group commit: every call of a campaign in one hour updates the same hour, day and month rows, so concurrent
/// per-call transactions lose ETag races and retry (a TV-ad spike made that 30+ round trips per call). Instead, one
/// writer loop per campaign partition takes every entry pending in this process and commits them together in ONE
/// transaction; callers just await their entry. Races with other instances (or the rebuild) still happen and are
/// handled by re-reading and re-applying the whole batch.
/// </para>
/// </summary>
public sealed class CampaignReportWriter(ReportStore store, OptimisticConcurrency concurrency, ILogger<CampaignReportWriter> logger) : ICallProcessingStage
{
    private readonly Dictionary<string, PartitionQueue> _queues = new(StringComparer.Ordinal);

    /// <summary>The processing stage: applies the processed call's entry.</summary>
    public Task RunAsync(CallProcessingContext context, CancellationToken cancellationToken) =>
        // Callback attempts (outbound) are not inbound calls: Callbacks/ counts them by attempt number instead.
        context.Call.Direction is not null ? Task.CompletedTask : ApplyAsync(CallEntry.From(context.Call), cancellationToken);

    /// <summary>Applies <paramref name="entry"/>; false when exactly this entry was already applied.</summary>
    public async Task<bool> ApplyAsync(CallEntry entry, CancellationToken cancellationToken)
    {
        var pending = new PendingEntry(entry);
        bool startLoop;
        PartitionQueue queue;
        lock (_queues)
        {
            if (!_queues.TryGetValue(entry.CampaignId, out queue!))
            {
                _queues[entry.CampaignId] = queue = new PartitionQueue(entry.CampaignId);
            }

            queue.Pending.AddLast(pending);
            startLoop = !queue.Running;
            queue.Running = true;
        }

        if (startLoop)
        {
            _ = Task.Run(() => RunAsync(queue), CancellationToken.None);
        }

        // A cancelled caller stops waiting; the batch may still commit its entry, which a redelivery then finds applied.
        return await pending.Result.Task.WaitAsync(cancellationToken);
    }

    /// <summary>The partition's writer loop: runs while entries are pending, then exits (the next caller restarts it).</summary>
    private async Task RunAsync(PartitionQueue queue)
    {
        while (true)
        {
            List<PendingEntry> batch;
            lock (_queues)
            {
                if (queue.Pending.Count == 0)
                {
                    queue.Running = false;
                    _queues.Remove(queue.Partition);
                    return;
                }

                batch = [.. queue.Pending];
                queue.Pending.Clear();
            }

            var done = 0;
            try
            {
                done = await CommitAsync(queue.Partition, batch);
            }
            catch (Exception ex) when (batch.Count > 1)
            {
                // One bad entry must not fail its neighbours again and again: commit them one by one.
                logger.LogWarning(ex, "A report batch of {Count} calls failed; applying them one at a time.", batch.Count);
                foreach (var one in batch)
                {
                    await CommitAloneAsync(queue.Partition, one);
                }

                continue;
            }
            catch (Exception ex)
            {
                batch[0].Result.TrySetException(ex);
                continue;
            }

            // Entries that did not fit in this transaction go first in the next one, in their order.
            lock (_queues)
            {
                for (var i = batch.Count - 1; i >= done; i--)
                {
                    queue.Pending.AddFirst(batch[i]);
                }
            }
        }
    }

    private async Task CommitAloneAsync(string partition, PendingEntry pending)
    {
        try
        {
            await CommitAsync(partition, [pending]);
        }
        catch (Exception ex)
        {
            pending.Result.TrySetException(ex);
        }
    }

    /// <summary>
    /// Commits a prefix of <paramref name="batch"/> in one transaction (<see cref="ReportCommitPlanner"/>), completes
    /// those entries, and returns how many it took (at least one). When another instance (or the rebuild) changed a
    /// marker or an aggregate row first, it reads and plans again. Throws when the transaction fails for good;
    /// nothing of the batch is then written.
    /// </summary>
    private async Task<int> CommitAsync(string partition, List<PendingEntry> batch)
    {
        var entries = batch.ConvertAll(p => p.Entry);
        // Not cancellable: the batch serves several callers, each of which stops waiting with its own token.
        var plan = await concurrency.RunAsync($"The reports of campaign {partition}", async _ =>
        {
            var markers = await ReadAsync(partition, entries.Select(e => e.CallId), ReportKeys.IndexKey);
            var aggregateRows = await ReadAsync(partition, ReportCommitPlanner.Take(entries, markers).AggregateKeys, key => key);
            var plan = ReportCommitPlanner.Plan(partition, entries, markers, aggregateRows);
            if (plan.Actions.Count > 0)
            {
                await store.Table.SubmitTransactionAsync(plan.Actions, CancellationToken.None);
            }

            return Attempt.Done(plan);
        }, CancellationToken.None);

        for (var i = 0; i < plan.Taken; i++)
        {
            batch[i].Result.TrySetResult(plan.Changed[i]);
        }

        return plan.Taken;
    }

    /// <summary>The rows of <paramref name="ids"/> (row key <paramref name="rowKey"/>(id)) by id, null where missing, read concurrently.</summary>
    private async Task<Dictionary<string, TableEntity?>> ReadAsync(string partition, IEnumerable<string> ids, Func<string, string> rowKey)
    {
        var distinct = ids.Distinct(StringComparer.Ordinal).ToList();
        var rows = await Task.WhenAll(distinct.Select(id => store.GetAsync(partition, rowKey(id), CancellationToken.None)));
        return distinct.Zip(rows).ToDictionary(r => r.First, r => r.Second, StringComparer.Ordinal);
    }

    private sealed class PartitionQueue(string partition)
    {
        public string Partition { get; } = partition;

        public LinkedList<PendingEntry> Pending { get; } = new();

        public bool Running { get; set; }
    }

    private sealed class PendingEntry(CallEntry entry)
    {
        public CallEntry Entry { get; } = entry;

        public TaskCompletionSource<bool> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

using System.Net;
using Azure;
using Azure.Data.Tables;
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
public sealed class CampaignReportWriter(ReportStore store, ILogger<CampaignReportWriter> logger) : ICallProcessingStage
{
    private const int MaxAttempts = 30;

    // An entity-group transaction holds at most 100 actions and 4 MB. A call takes up to 3 (marker, projection, the
    // old projection's delete); aggregate rows are the big ones (a month row with its sketch is tens of KB).
    private const int MaxActions = 100;
    private const int MaxAggregateRows = 24;

    private readonly Dictionary<string, PartitionQueue> _queues = new(StringComparer.Ordinal);

    /// <summary>The processing stage: applies the processed call's entry.</summary>
    public Task RunAsync(CallProcessingContext context, CancellationToken cancellationToken) =>
        ApplyAsync(CallEntry.From(context.Call), cancellationToken);

    /// <summary>Applies <paramref name="entry"/>; false when exactly this entry was already applied.</summary>
    public async Task<bool> ApplyAsync(CallEntry entry, CancellationToken cancellationToken)
    {
        await store.EnsureCreatedAsync(cancellationToken);
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
    /// Commits a prefix of <paramref name="batch"/> in one transaction, completes those entries, and returns how many
    /// it took (at least one). Throws when the transaction fails for good; nothing of the batch is then written.
    /// </summary>
    private async Task<int> CommitAsync(string partition, List<PendingEntry> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            // What each call had applied before this batch (its marker row), read once per call.
            var callIds = batch.Select(p => p.Entry.CallId).Distinct(StringComparer.Ordinal).ToList();
            var markerRows = await Task.WhenAll(callIds.Select(id => store.GetAsync(partition, ReportKeys.IndexKey(id), CancellationToken.None)));
            var calls = new Dictionary<string, CallState>(StringComparer.Ordinal);
            for (var i = 0; i < callIds.Count; i++)
            {
                calls[callIds[i]] = new CallState(markerRows[i], markerRows[i] is { } row ? CallEntry.FromIndexRow(row) : null);
            }

            // The prefix of the batch that fits in one transaction. Entries are applied in order, so a second entry
            // for the same call sees the first one as its previous.
            var taken = 0;
            var touchedCalls = new HashSet<string>(StringComparer.Ordinal);
            var aggregateKeys = new HashSet<string>(StringComparer.Ordinal);
            var simulated = calls.ToDictionary(c => c.Key, c => c.Value.Applied, StringComparer.Ordinal);
            foreach (var pending in batch)
            {
                var entry = pending.Entry;
                var previous = simulated[entry.CallId];
                var keys = previous == entry ? [] : AggregateKeys(previous).Concat(AggregateKeys(entry)).ToList();
                var newCall = touchedCalls.Contains(entry.CallId) ? 0 : 1;
                var newKeys = keys.Count(k => !aggregateKeys.Contains(k));
                var rows = aggregateKeys.Count + newKeys;
                if (taken > 0 && (rows > MaxAggregateRows || (3 * (touchedCalls.Count + newCall)) + rows > MaxActions))
                {
                    break;
                }

                touchedCalls.Add(entry.CallId);
                aggregateKeys.UnionWith(keys);
                simulated[entry.CallId] = entry;
                taken++;
            }

            var keyList = aggregateKeys.ToList();
            var read = await Task.WhenAll(keyList.Select(key => store.GetAsync(partition, key, CancellationToken.None)));
            var aggregates = new Dictionary<string, (HourAggregate Aggregate, ETag? ETag)>(StringComparer.Ordinal);
            for (var i = 0; i < keyList.Count; i++)
            {
                aggregates[keyList[i]] = read[i] is { } row ? (HourAggregate.FromEntity(row), row.ETag) : (ReportKeys.NewAggregate(keyList[i]), null);
            }

            var changed = new bool[taken];
            for (var i = 0; i < taken; i++)
            {
                var entry = batch[i].Entry;
                var state = calls[entry.CallId];
                if (state.Current == entry)
                {
                    continue; // exactly this was applied already (by a redelivery, another instance, or earlier in the batch)
                }

                if (state.Current is { } previous)
                {
                    foreach (var key in AggregateKeys(previous))
                    {
                        aggregates[key].Aggregate.Apply(previous, -1);
                    }
                }

                foreach (var key in AggregateKeys(entry))
                {
                    aggregates[key].Aggregate.Apply(entry, +1);
                }

                state.Current = entry;
                changed[i] = true;
            }

            var actions = new List<TableTransactionAction>();
            foreach (var state in calls.Values.Where(s => s.Current is not null && s.Current != s.Applied))
            {
                var entry = state.Current!;
                actions.Add(state.MarkerRow is null
                    ? new(TableTransactionActionType.Add, entry.ToIndexRow())
                    : new(TableTransactionActionType.UpdateReplace, entry.ToIndexRow(), state.MarkerRow.ETag));
                if (state.Applied is { } old && old.CallKey != entry.CallKey)
                {
                    actions.Add(new(TableTransactionActionType.Delete, new TableEntity(partition, old.CallKey), ETag.All));
                }

                actions.Add(new(TableTransactionActionType.UpsertReplace, entry.ToProjectionRow()));
            }

            foreach (var (key, (aggregate, etag)) in aggregates)
            {
                if (etag is null && aggregate.IsEmpty)
                {
                    continue; // a call moved in and out of a new row within the batch
                }

                actions.Add(etag is null
                    ? new(TableTransactionActionType.Add, aggregate.ToEntity(partition, key))
                    : aggregate.IsEmpty
                        ? new(TableTransactionActionType.Delete, new TableEntity(partition, key), etag.Value)
                        : new(TableTransactionActionType.UpdateReplace, aggregate.ToEntity(partition, key), etag.Value));
            }

            try
            {
                if (actions.Count > 0)
                {
                    await store.Table.SubmitTransactionAsync(actions, CancellationToken.None);
                }

                for (var i = 0; i < taken; i++)
                {
                    batch[i].Result.TrySetResult(changed[i]);
                }

                return taken;
            }
            catch (TableTransactionFailedException ex) when (IsRace(ex.Status) && attempt < MaxAttempts)
            {
                // Another instance (or the rebuild) changed a marker or an aggregate row first: read again and re-apply.
                await Task.Delay(Random.Shared.Next(0, 5 * Math.Min(attempt, 20)));
            }
        }
    }

    private static IEnumerable<string> AggregateKeys(CallEntry? entry) =>
        entry is null ? [] : [entry.HourKey, entry.DayKey, entry.MonthKey];

    private static bool IsRace(int status) =>
        status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound;

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

    /// <summary>A call's marker as read (<see cref="Applied"/>) and what the batch has applied for it so far.</summary>
    private sealed class CallState(TableEntity? markerRow, CallEntry? applied)
    {
        public TableEntity? MarkerRow { get; } = markerRow;

        public CallEntry? Applied { get; } = applied;

        public CallEntry? Current { get; set; } = applied;
    }
}

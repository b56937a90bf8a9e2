using Azure;
using Azure.Data.Tables;

namespace CallTracking.Functions.Reporting;

/// <summary>Which prefix of the pending entries one transaction takes, and the aggregate rows it touches (to read before planning).</summary>
public sealed record ReportBatch(int Count, IReadOnlyList<string> AggregateKeys);

/// <summary>
/// One entity-group transaction of the report writer: how many pending entries it applies (a prefix), whether each of
/// them changed anything (false: exactly that entry was applied already), the actions to submit, and the new value
/// of every aggregate row it touches (empty ones are deleted, or never written).
/// </summary>
public sealed record ReportCommitPlan(
    int Taken,
    IReadOnlyList<bool> Changed,
    IReadOnlyList<TableTransactionAction> Actions,
    IReadOnlyDictionary<string, HourAggregate> Aggregates);

/// <summary>
/// The pure half of <see cref="CampaignReportWriter"/>'s group commit: from the pending entries of one campaign
/// partition (in arrival order), the marker rows of their calls and the aggregate rows they touch, as read, it plans
/// one transaction. No I/O, so it is tested without storage; the writer reads, plans, submits, and when it loses a
/// race, reads and plans again.
/// </summary>
public static class ReportCommitPlanner
{
    // An entity-group transaction holds at most 100 actions and 4 MB. A call takes up to 3 (marker, projection, the
    // old projection's delete); aggregate rows are the big ones (a month row with its sketch is tens of KB).
    public const int MaxActions = 100;
    public const int MaxAggregateRows = 24;

    /// <summary>
    /// The longest prefix of <paramref name="pending"/> (at least one entry) that fits in one transaction.
    /// Entries are applied in order, so a second entry for the same call sees the first one as its previous.
    /// </summary>
    /// <param name="markers">Every pending call's marker row by call id; null when the call was never applied.</param>
    public static ReportBatch Take(IReadOnlyList<CallEntry> pending, IReadOnlyDictionary<string, TableEntity?> markers)
    {
        var taken = 0;
        var touchedCalls = new HashSet<string>(StringComparer.Ordinal);
        var aggregateKeys = new List<string>();
        var simulated = AppliedEntries(pending, markers);
        foreach (var entry in pending)
        {
            var previous = simulated[entry.CallId];
            var keys = previous == entry ? [] : AggregateKeys(previous).Concat(AggregateKeys(entry)).Distinct(StringComparer.Ordinal).ToList();
            var newCall = touchedCalls.Contains(entry.CallId) ? 0 : 1;
            var newKeys = keys.Where(k => !aggregateKeys.Contains(k, StringComparer.Ordinal)).ToList();
            var rows = aggregateKeys.Count + newKeys.Count;
            if (taken > 0 && (rows > MaxAggregateRows || (3 * (touchedCalls.Count + newCall)) + rows > MaxActions))
            {
                break;
            }

            touchedCalls.Add(entry.CallId);
            aggregateKeys.AddRange(newKeys);
            simulated[entry.CallId] = entry;
            taken++;
        }

        return new ReportBatch(taken, aggregateKeys);
    }

    /// <summary>
    /// Plans the transaction for the prefix <see cref="Take"/> chooses: each taken entry's old contribution (from its
    /// marker, or from an earlier entry of the batch) is subtracted from its hour, day and month rows and the new one
    /// added; markers and projection rows follow; every row read is written back only under its ETag.
    /// </summary>
    /// <param name="markers">As for <see cref="Take"/>.</param>
    /// <param name="aggregateRows">
    /// Every row of <see cref="Take"/>'s <see cref="ReportBatch.AggregateKeys"/> as read, by row key; null when it does not exist.
    /// </param>
    public static ReportCommitPlan Plan(
        string partition,
        IReadOnlyList<CallEntry> pending,
        IReadOnlyDictionary<string, TableEntity?> markers,
        IReadOnlyDictionary<string, TableEntity?> aggregateRows)
    {
        var batch = Take(pending, markers);
        var calls = new Dictionary<string, CallState>(StringComparer.Ordinal);
        foreach (var callId in pending.Select(e => e.CallId).Distinct(StringComparer.Ordinal))
        {
            var marker = markers[callId];
            calls[callId] = new CallState(marker, marker is null ? null : CallEntry.FromIndexRow(marker));
        }

        var aggregates = new Dictionary<string, (HourAggregate Aggregate, ETag? ETag)>(StringComparer.Ordinal);
        foreach (var key in batch.AggregateKeys)
        {
            if (!aggregateRows.TryGetValue(key, out var read))
            {
                throw new ArgumentException($"Aggregate row {key} was not read.", nameof(aggregateRows));
            }

            aggregates[key] = read is { } row ? (HourAggregate.FromEntity(row), row.ETag) : (ReportKeys.NewAggregate(key), null);
        }

        var changed = new bool[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var entry = pending[i];
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

        return new ReportCommitPlan(batch.Count, changed, actions, aggregates.ToDictionary(a => a.Key, a => a.Value.Aggregate, StringComparer.Ordinal));
    }

    private static Dictionary<string, CallEntry?> AppliedEntries(IReadOnlyList<CallEntry> pending, IReadOnlyDictionary<string, TableEntity?> markers)
    {
        var applied = new Dictionary<string, CallEntry?>(StringComparer.Ordinal);
        foreach (var callId in pending.Select(e => e.CallId).Distinct(StringComparer.Ordinal))
        {
            if (!markers.TryGetValue(callId, out var row))
            {
                throw new ArgumentException($"The marker of call {callId} was not read.", nameof(markers));
            }

            applied[callId] = row is null ? null : CallEntry.FromIndexRow(row);
        }

        return applied;
    }

    private static IEnumerable<string> AggregateKeys(CallEntry? entry) =>
        entry is null ? [] : [entry.HourKey, entry.DayKey, entry.MonthKey];

    /// <summary>A call's marker as read (<see cref="Applied"/>) and what the batch has applied for it so far.</summary>
    private sealed class CallState(TableEntity? markerRow, CallEntry? applied)
    {
        public TableEntity? MarkerRow { get; } = markerRow;

        public CallEntry? Applied { get; } = applied;

        public CallEntry? Current { get; set; } = applied;
    }
}

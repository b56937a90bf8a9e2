using System.Net;
using Azure;
using Azure.Data.Tables;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Reporting;

/// <summary>What a rebuild did.</summary>
public sealed record RebuildResult(
    DateTimeOffset From,
    DateTimeOffset To,
    long LedgerRowsScanned,
    long CallsInRange,
    int HoursRewritten,
    int Campaigns);

/// <summary>
/// Recomputes the hour aggregates and CDR projection rows of a date range from the call ledger (after a bug fix, or
/// for calls processed before reporting existed). The ledger is keyed by call id, so finding the calls of a range is
/// a scan of the whole <c>Calls</c> table: O(all calls), acceptable for a rare admin command and cheaper than keeping
/// a day index on the live path. Safe while the processor runs: each hour is rewritten with an ETag condition and
/// recomputed if a call landed in it meanwhile.
/// </summary>
public sealed class ReportRebuilder(
    ReportStore store,
    CampaignStore campaigns,
    ProcessedCallReader calls,
    OptimisticConcurrency concurrency,
    ILogger<ReportRebuilder> logger)
{
    public async Task<RebuildResult> RebuildAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var fromHour = FloorHour(from);
        var toHour = FloorHour(to) == to ? to : FloorHour(to).AddHours(1);

        // 1. Every processed call of the range, from the ledger, grouped by campaign and hour.
        var byCampaign = new Dictionary<string, Dictionary<string, Dictionary<string, CallEntry>>>(StringComparer.Ordinal);
        long scanned = 0, inRange = 0;
        await foreach (var call in calls.ScanAsync(cancellationToken))
        {
            scanned++;
            var entry = CallEntry.From(call);
            if (entry.Start < fromHour || entry.Start >= toHour)
            {
                continue;
            }

            inRange++;
            var hours = byCampaign.TryGetValue(entry.CampaignId, out var h) ? h : byCampaign[entry.CampaignId] = new(StringComparer.Ordinal);
            var entries = hours.TryGetValue(entry.HourKey, out var e) ? e : hours[entry.HourKey] = new(StringComparer.Ordinal);
            entries[entry.CallId] = entry;
        }

        // 2. Hours to rewrite: those with ledger calls, and those whose existing rows the ledger no longer supports.
        var partitions = new HashSet<string>(byCampaign.Keys, StringComparer.Ordinal) { ReportKeys.Unassigned };
        foreach (var campaign in await campaigns.ListAsync(cancellationToken))
        {
            partitions.Add(campaign.Id);
        }

        var rewritten = 0;
        foreach (var partition in partitions)
        {
            var ledgerHours = byCampaign.GetValueOrDefault(partition) ?? new(StringComparer.Ordinal);
            var hourKeys = new SortedSet<string>(ledgerHours.Keys, StringComparer.Ordinal);
            await foreach (var row in store.QueryHoursAsync(partition, fromHour, toHour, cancellationToken))
            {
                hourKeys.Add(row.RowKey);
            }

            await foreach (var row in store.QueryCallsAsync(partition, fromHour, toHour, null, null, 1000, cancellationToken))
            {
                hourKeys.Add(ReportKeys.HourKey(ReportKeys.StartOf(row.RowKey)));
            }

            var dayKeys = new SortedSet<string>(hourKeys.Select(h => ReportKeys.DayKey(ReportKeys.HourOf(h))), StringComparer.Ordinal);
            await foreach (var row in store.QueryDaysAsync(partition, new DateTimeOffset(fromHour.UtcDateTime.Date, TimeSpan.Zero), toHour.AddDays(1), cancellationToken))
            {
                dayKeys.Add(row.RowKey);
            }

            foreach (var hourKey in hourKeys)
            {
                await RebuildHourAsync(partition, hourKey, ledgerHours.GetValueOrDefault(hourKey) ?? new(StringComparer.Ordinal), cancellationToken);
                rewritten++;
            }

            var monthKeys = new SortedSet<string>(dayKeys.Select(d => ReportKeys.MonthKey(ReportKeys.DayOf(d))), StringComparer.Ordinal);
            await foreach (var row in store.QueryMonthsAsync(partition, FloorMonth(fromHour), FloorMonth(toHour).AddMonths(1), cancellationToken))
            {
                monthKeys.Add(row.RowKey);
            }

            foreach (var dayKey in dayKeys)
            {
                await RebuildRollupAsync(partition, dayKey, cancellationToken);
            }

            foreach (var monthKey in monthKeys)
            {
                await RebuildRollupAsync(partition, monthKey, cancellationToken);
            }
        }

        logger.LogInformation("Rebuilt reports {From:o}..{To:o}: {Scanned} ledger rows scanned, {InRange} calls, {Hours} hours.",
            fromHour, toHour, scanned, inRange, rewritten);
        return new RebuildResult(fromHour, toHour, scanned, inRange, rewritten, byCampaign.Count);
    }

    private Task RebuildHourAsync(string partition, string hourKey, Dictionary<string, CallEntry> ledgerEntries, CancellationToken cancellationToken)
    {
        var hourStart = ReportKeys.HourOf(hourKey);
        // A lost race means the processor applied a call to this hour meanwhile: recompute the hour.
        return concurrency.RunAsync($"Hour {hourKey} of campaign {partition}", async ct =>
        {
            var hourRow = await store.GetAsync(partition, hourKey, ct);
            var entries = new Dictionary<string, CallEntry>(ledgerEntries, StringComparer.Ordinal);
            var stale = new List<string>();

            // Calls applied meanwhile (or missed by the scan) are in the projection: take them from the ledger too.
            await foreach (var row in store.QueryCallsAsync(partition, hourStart, hourStart.AddHours(1), null, null, 1000, ct))
            {
                var callId = ReportKeys.CallIdOf(row.RowKey);
                if (!entries.ContainsKey(callId))
                {
                    var call = await calls.GetAsync(callId, ct);
                    if (call is not null && CallEntry.From(call) is { } entry && entry.CampaignId == partition && entry.HourKey == hourKey)
                    {
                        entries[callId] = entry;
                    }
                }

                if (!entries.TryGetValue(callId, out var current) || current.CallKey != row.RowKey)
                {
                    stale.Add(row.RowKey); // the call is gone, or now starts elsewhere
                }
            }

            var aggregate = new HourAggregate();
            var actions = new List<TableTransactionAction>();
            foreach (var entry in entries.Values)
            {
                aggregate.Apply(entry, +1);
                actions.Add(new(TableTransactionActionType.UpsertReplace, entry.ToProjectionRow()));
                actions.Add(new(TableTransactionActionType.UpsertReplace, entry.ToIndexRow()));
            }

            foreach (var key in stale)
            {
                actions.Add(new(TableTransactionActionType.Delete, new TableEntity(partition, key), ETag.All));
                var callId = ReportKeys.CallIdOf(key);
                if (!entries.ContainsKey(callId))
                {
                    var index = await store.GetAsync(partition, ReportKeys.IndexKey(callId), ct);
                    if (index?.GetString("CallKey") == key)
                    {
                        actions.Add(new(TableTransactionActionType.Delete, new TableEntity(partition, ReportKeys.IndexKey(callId)), index.ETag));
                    }
                }
            }

            // Projection and marker rows are idempotent upserts; only the hour row needs the ETag guard, last.
            foreach (var chunk in actions.Chunk(100))
            {
                await SubmitIgnoringMissingAsync(chunk, ct);
            }

            await SubmitGuardedAsync(partition, hourKey, hourRow, aggregate, ct);
            return Attempt.Done(true);
        }, cancellationToken);
    }

    /// <summary>
    /// Re-sums a day rollup from its hour rows, or a month rollup from its (already rebuilt) day rows. The processor
    /// changes an hour, its day and its month in one transaction, so if the rollup row is unchanged between our read
    /// and our write, the rows we summed were current.
    /// </summary>
    private Task RebuildRollupAsync(string partition, string rollupKey, CancellationToken cancellationToken)
    {
        var isMonth = rollupKey.StartsWith(ReportKeys.MonthPrefix, StringComparison.Ordinal);
        var start = ReportKeys.BucketStart(rollupKey);
        return concurrency.RunAsync($"Rollup {rollupKey} of campaign {partition}", async ct =>
        {
            var rollupRow = await store.GetAsync(partition, rollupKey, ct);
            var rollup = ReportKeys.NewAggregate(rollupKey);
            var parts = isMonth
                ? store.QueryDaysAsync(partition, start, start.AddMonths(1), ct)
                : store.QueryHoursAsync(partition, start, start.AddDays(1), ct);
            await foreach (var row in parts)
            {
                var partStart = ReportKeys.BucketStart(row.RowKey);
                rollup.Add(HourAggregate.FromEntity(row), isMonth ? HourAggregate.QuartersPerDay * (partStart.Day - 1) : 4 * partStart.Hour);
            }

            await SubmitGuardedAsync(partition, rollupKey, rollupRow, rollup, ct);
            return Attempt.Done(true);
        }, cancellationToken);
    }

    /// <summary>
    /// Writes <paramref name="aggregate"/> as row <paramref name="key"/> only if that row is still as read
    /// (<paramref name="read"/>, null when it did not exist): added, replaced, or deleted when empty. A lost race throws.
    /// </summary>
    private async Task SubmitGuardedAsync(string partition, string key, TableEntity? read, HourAggregate aggregate, CancellationToken cancellationToken)
    {
        TableTransactionAction? action = read is null
            ? aggregate.IsEmpty ? null : new(TableTransactionActionType.Add, aggregate.ToEntity(partition, key))
            : aggregate.IsEmpty
                ? new(TableTransactionActionType.Delete, new TableEntity(partition, key), read.ETag)
                : new(TableTransactionActionType.UpdateReplace, aggregate.ToEntity(partition, key), read.ETag);
        if (action is not null)
        {
            await store.Table.SubmitTransactionAsync([action], cancellationToken);
        }
    }

    private async Task SubmitIgnoringMissingAsync(TableTransactionAction[] chunk, CancellationToken cancellationToken)
    {
        try
        {
            await store.Table.SubmitTransactionAsync(chunk, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status is (int)HttpStatusCode.NotFound or (int)HttpStatusCode.PreconditionFailed)
        {
            // A stale row vanished or its marker moved meanwhile; retry the rest one by one.
            foreach (var action in chunk)
            {
                try
                {
                    await store.Table.SubmitTransactionAsync([action], cancellationToken);
                }
                catch (TableTransactionFailedException one) when (one.Status is (int)HttpStatusCode.NotFound or (int)HttpStatusCode.PreconditionFailed)
                {
                }
            }
        }
    }

    private static DateTimeOffset FloorMonth(DateTimeOffset instant) =>
        new(instant.UtcDateTime.Year, instant.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);

    internal static DateTimeOffset FloorHour(DateTimeOffset instant)
    {
        var utc = instant.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }
}

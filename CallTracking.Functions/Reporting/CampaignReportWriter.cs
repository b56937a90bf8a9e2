using System.Net;
using Azure;
using Azure.Data.Tables;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Reporting;

/// <summary>
/// Applies each processed call to its campaign's reports: the hour aggregate and its day rollup, the CDR projection
/// row and the idempotency marker, in one entity-group transaction (all or nothing, so a crash never half-counts a call).
/// Applying the same call again changes nothing; applying it with changed data (say, a late recording or a
/// corrected outcome) moves its contribution, so the aggregate always equals the sum of the applied entries.
/// Concurrent writers to one hour row lose ETag races (412) or marker races (409) and simply re-read and retry.
/// </summary>
public sealed class CampaignReportWriter(ReportStore store, ILogger<CampaignReportWriter> logger) : IProcessedCallObserver
{
    private const int MaxAttempts = 60;

    public async Task OnCallProcessedAsync(CallRecord call, CancellationToken ct)
    {
        var entry = CallEntry.From(call);
        if (entry is null)
        {
            logger.LogWarning("Call {CallId} has no outcome or start time; not reported.", call.PartitionKey);
            return;
        }

        await ApplyAsync(entry, ct);
    }

    /// <summary>Applies <paramref name="entry"/>; false when exactly this entry was already applied.</summary>
    public async Task<bool> ApplyAsync(CallEntry entry, CancellationToken cancellationToken)
    {
        await store.EnsureCreatedAsync(cancellationToken);
        var partition = entry.CampaignId;
        for (var attempt = 1; ; attempt++)
        {
            var indexRow = await store.GetAsync(partition, ReportKeys.IndexKey(entry.CallId), cancellationToken);
            var previous = indexRow is null ? null : CallEntry.FromIndexRow(indexRow);
            if (previous == entry)
            {
                return false;
            }

            // The hour row and the day rollup move together (one transaction), for the old and the new start.
            var rows = new Dictionary<string, (HourAggregate Aggregate, ETag? ETag)>(StringComparer.Ordinal);
            var keys = new[] { previous?.HourKey, previous?.DayKey, entry.HourKey, entry.DayKey }.OfType<string>().Distinct().ToList();
            var read = await Task.WhenAll(keys.Select(key => store.GetAsync(partition, key, cancellationToken)));
            for (var i = 0; i < keys.Count; i++)
            {
                rows[keys[i]] = read[i] is { } row ? (HourAggregate.FromEntity(row), row.ETag) : (ReportKeys.NewAggregate(keys[i]), null);
            }

            if (previous is not null)
            {
                rows[previous.HourKey].Aggregate.Apply(previous, -1);
                rows[previous.DayKey].Aggregate.Apply(previous, -1);
            }

            rows[entry.HourKey].Aggregate.Apply(entry, +1);
            rows[entry.DayKey].Aggregate.Apply(entry, +1);

            var actions = new List<TableTransactionAction>
            {
                indexRow is null
                    ? new(TableTransactionActionType.Add, entry.ToIndexRow())
                    : new(TableTransactionActionType.UpdateReplace, entry.ToIndexRow(), indexRow.ETag),
            };
            if (previous is not null && previous.CallKey != entry.CallKey)
            {
                actions.Add(new(TableTransactionActionType.Delete, new TableEntity(partition, previous.CallKey), ETag.All));
            }

            actions.Add(new(TableTransactionActionType.UpsertReplace, entry.ToProjectionRow()));
            foreach (var (key, (aggregate, etag)) in rows)
            {
                actions.Add(etag is null
                    ? new(TableTransactionActionType.Add, aggregate.ToEntity(partition, key))
                    : aggregate.IsEmpty
                        ? new(TableTransactionActionType.Delete, new TableEntity(partition, key), etag.Value)
                        : new(TableTransactionActionType.UpdateReplace, aggregate.ToEntity(partition, key), etag.Value));
            }

            try
            {
                await store.Table.SubmitTransactionAsync(actions, cancellationToken);
                return true;
            }
            catch (TableTransactionFailedException ex) when (IsRace(ex.Status) && attempt < MaxAttempts)
            {
                // Another writer got there first (the marker, or the hour row changed): read again and re-apply.
                await Task.Delay(Random.Shared.Next(0, 5 * Math.Min(attempt, 20)), cancellationToken);
            }
        }
    }

    private static bool IsRace(int status) =>
        status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound;
}

using System.Net;
using Azure;
using Azure.Data.Tables;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Callbacks;

/// <summary>Reads and writes table <c>Callbacks</c> (<see cref="CallbackSlot"/>).</summary>
public sealed class CallbackStore(TableServiceClient tableService)
{
    private readonly TableClient _table = tableService.GetTableClient(StorageNames.CallbacksTable);

    /// <summary>The callers' "answered" markers last set before <paramref name="cutoff"/> (retention: they hold the number).</summary>
    public static string AnsweredMarkersBefore(DateTimeOffset cutoff) =>
        TableClient.CreateQueryFilter(
            $"PartitionKey ge {CallbackSlot.AnsweredPartition("")} and PartitionKey lt {"answered}"} and LastAnsweredAt lt {cutoff}");

    /// <summary>Inserts the slot: true for the one caller that wins it, false when it already exists.</summary>
    public async Task<bool> TryClaimAsync(CallbackSlot slot, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _table.AddEntityAsync(slot, cancellationToken);
            slot.ETag = response.Headers.ETag ?? default;
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    public async Task<CallbackSlot?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityIfExistsAsync<CallbackSlot>(partitionKey, rowKey, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>Writes the given columns over the row (merge: columns not set here are kept).</summary>
    public Task UpsertAsync(CallbackSlot slot, CancellationToken cancellationToken) =>
        _table.UpsertEntityAsync(slot, TableUpdateMode.Merge, cancellationToken);

    /// <summary>Frees a claimed slot (only if unchanged since it was claimed).</summary>
    public async Task DeleteAsync(CallbackSlot slot, CancellationToken cancellationToken)
    {
        try
        {
            await _table.DeleteEntityAsync(slot.PartitionKey, slot.RowKey, slot.ETag, cancellationToken);
        }
        catch (RequestFailedException ex) when (OptimisticConcurrency.IsLostRace(ex))
        {
            // Changed or gone since: whoever changed it owns it now.
        }
    }

    /// <summary>The slot's row in its campaign's partition (RK missed call id and attempt), for the stats.</summary>
    public static CallbackSlot CampaignCopy(CallbackSlot slot) => new()
    {
        PartitionKey = CallbackSlot.CampaignPartition(slot.CampaignId ?? ""),
        RowKey = slot.MissedCallId + "|" + slot.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture),
        CampaignId = slot.CampaignId,
        MissedCallId = slot.MissedCallId,
        Attempt = slot.Attempt,
        Status = slot.Status,
        ClaimedAt = slot.ClaimedAt,
        PlacedAt = slot.PlacedAt,
        AttemptCallId = slot.AttemptCallId,
        Error = slot.Error,
        Connected = slot.Connected,
        Outcome = slot.Outcome,
    };

    public async Task<IReadOnlyList<CallbackSlot>> CampaignAttemptsAsync(string campaignId, CancellationToken cancellationToken)
    {
        var rows = new List<CallbackSlot>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {CallbackSlot.CampaignPartition(campaignId)}");
        await foreach (var row in _table.QueryAsync<CallbackSlot>(filter, cancellationToken: cancellationToken))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>When <paramref name="caller"/> last had an answered call on the campaign (null: never seen).</summary>
    public async Task<DateTimeOffset?> LastAnsweredAsync(string caller, string campaignId, CancellationToken cancellationToken) =>
        (await GetAsync(CallbackSlot.AnsweredPartition(caller), campaignId, cancellationToken))?.LastAnsweredAt;

    /// <summary>Moves the caller's answered marker forward (never back: an old call processed late changes nothing).</summary>
    public async Task RecordAnsweredAsync(string caller, string campaignId, DateTimeOffset answeredAt, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var current = await GetAsync(CallbackSlot.AnsweredPartition(caller), campaignId, cancellationToken);
            if (current?.LastAnsweredAt >= answeredAt)
            {
                return;
            }

            try
            {
                if (current is null)
                {
                    await _table.AddEntityAsync(new CallbackSlot
                    {
                        PartitionKey = CallbackSlot.AnsweredPartition(caller),
                        RowKey = campaignId,
                        CampaignId = campaignId,
                        LastAnsweredAt = answeredAt,
                    }, cancellationToken);
                }
                else
                {
                    current.LastAnsweredAt = answeredAt;
                    await _table.UpdateEntityAsync(current, current.ETag, TableUpdateMode.Replace, cancellationToken);
                }

                return;
            }
            catch (RequestFailedException ex) when (OptimisticConcurrency.IsLostRace(ex))
            {
                // Someone else moved it: read again.
            }
        }

        throw new ConcurrencyConflictException($"Callback answered marker {E164.Mask(caller)}/{campaignId}", 10, null);
    }
}

using System.Net;
using Azure;
using Azure.Data.Tables;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Calls;

/// <summary>A campaign's calls right now: ringing or connected, and finished but not yet processed.</summary>
public sealed record LiveCallCounts(long InProgress, long Pending)
{
    public static readonly LiveCallCounts None = new(0, 0);

    public LiveCallCounts Add(LiveCallCounts other) => new(InProgress + other.InProgress, Pending + other.Pending);
}

/// <summary>
/// A small per-campaign index of the calls the ledger holds open (table <c>LiveCalls</c>, PK campaign, RK call id),
/// because the ledger itself is partitioned by conversation and cannot be counted per campaign without a scan.
/// Every ledger write that can change a call's state (the answer's start record, each webhook, the watchdog) passes
/// the row it left here: a call is <c>live</c> until it is final, then <c>ended</c> (pending) until processed, when
/// its row is deleted. States only move forward (live is only ever inserted, so it never replaces <c>ended</c> by
/// <c>live</c>), so duplicate and out-of-order events cannot re-open a call. A row that a stale write re-created after
/// processing, or that missed a write, heals on read: rows untouched for <see cref="VerifyAfter"/> are checked
/// against the ledger (one point read each; only long calls and stragglers), and the watchdog closes calls whose
/// final events never came.
/// </summary>
public sealed class LiveCallIndex(TableServiceClient tables, CallStore calls, TimeProvider time)
{
    public const string Live = "live";
    public const string Ended = "ended";

    /// <summary>How long a row may go unwritten before a read checks it against the ledger.</summary>
    public static readonly TimeSpan VerifyAfter = TimeSpan.FromMinutes(5);

    private const int MaxTransactionActions = 100;

    private readonly TableClient _table = tables.GetTableClient(StorageNames.LiveCallsTable);

    // The state each recent call's row had when this instance last wrote or read it. Most webhooks of a call do not
    // move it (started, ringing, answered of a live call), so they need no read of the row; only this instance's own
    // knowledge counts, so a row it never saw (e.g. a write that failed) is still read and written as before.
    private readonly RecentEntries<string> _known = new(RecentCallRecords.GenerationSize);

    /// <summary>The state <paramref name="call"/> puts its index row in: live, ended, or null (processed, or no campaign).</summary>
    public static string? StateOf(CallRecord call) =>
        call.CampaignId is null || call.ProcessedAt is not null ? null
        : call.CompletedAt is not null || CallStateMachine.IsFinal(call) ? Ended
        : Live;

    /// <summary>Brings the call's index row in line with the ledger row just written. Idempotent.</summary>
    public Task TrackAsync(CallRecord call, CancellationToken cancellationToken = default) =>
        StateOf(call) is { } state
            ? Rank(_known.TryGet(KeyOf(call.CampaignId!, call.PartitionKey))) >= Rank(state)
                ? Task.CompletedTask // this instance saw the row at this state or later: MoveForwardAsync would change nothing
                : MoveForwardAsync(call.CampaignId!, call.PartitionKey, state, cancellationToken)
            : call.CampaignId is { } campaignId ? RemoveAsync(campaignId, call.PartitionKey, cancellationToken) : Task.CompletedTask;

    /// <summary>
    /// <see cref="TrackAsync"/> for many calls (the call-start writer's batch): the new live rows of one campaign go in
    /// one transaction of inserts; should any of them exist already (the transaction fails whole), each is tracked alone.
    /// </summary>
    public async Task TrackAllAsync(IReadOnlyCollection<CallRecord> calls, CancellationToken cancellationToken = default)
    {
        var alone = new List<CallRecord>();
        var newLive = calls
            .Where(c => StateOf(c) == Live && _known.TryGet(KeyOf(c.CampaignId!, c.PartitionKey)) is null)
            .DistinctBy(c => c.PartitionKey, StringComparer.Ordinal)
            .ToList();
        alone.AddRange(calls.Except(newLive));
        foreach (var chunk in newLive.GroupBy(c => c.CampaignId!, StringComparer.Ordinal).SelectMany(g => g.Chunk(MaxTransactionActions)))
        {
            if (chunk.Length == 1)
            {
                alone.Add(chunk[0]);
                continue;
            }

            try
            {
                await _table.SubmitTransactionAsync(
                    chunk.Select(c => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(c.CampaignId!, c.PartitionKey) { ["State"] = Live })),
                    cancellationToken);
                foreach (var call in chunk)
                {
                    _known.Set(KeyOf(call.CampaignId!, call.PartitionKey), Live);
                }
            }
            catch (RequestFailedException ex) when (!MissingStorageRecovery.IsMissingStorageCode(ex.ErrorCode))
            {
                alone.AddRange(chunk);
            }
        }

        await Task.WhenAll(alone.Select(call => TrackAsync(call, cancellationToken)));
    }

    /// <summary>The call was processed: it is neither in progress nor pending any more. Idempotent.</summary>
    public async Task RemoveAsync(string campaignId, string callId, CancellationToken cancellationToken = default)
    {
        _known.Remove(KeyOf(campaignId, callId));
        try
        {
            await _table.DeleteEntityAsync(campaignId, callId, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound && !MissingStorageRecovery.IsMissingStorageCode(ex.ErrorCode))
        {
            // Already gone.
        }
    }

    // Two states, and a row only moves forward: live is an insert (a row already there is live or ended, so a
    // conflict means nothing to do), ended an unconditional write (nothing outranks it). Neither needs to read the row.
    private async Task MoveForwardAsync(string campaignId, string callId, string state, CancellationToken cancellationToken)
    {
        var row = new TableEntity(campaignId, callId) { ["State"] = state };
        if (state == Ended)
        {
            await _table.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken);
        }
        else
        {
            try
            {
                await _table.AddEntityAsync(row, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
            {
                // Already live or ended.
            }
        }

        _known.Set(KeyOf(campaignId, callId), state);
    }

    private static int Rank(string? state) => state == Ended ? 2 : state == Live ? 1 : 0;

    private static string KeyOf(string campaignId, string callId) => campaignId + "|" + callId;

    /// <summary>Counts one campaign's live and pending calls: one partition query, plus the checks of stale rows.</summary>
    public async Task<LiveCallCounts> CountAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        long live = 0, pending = 0;
        var now = time.GetUtcNow();
        await foreach (var row in _table.QueryAsync<TableEntity>(r => r.PartitionKey == campaignId, cancellationToken: cancellationToken))
        {
            var state = row.GetString("State");
            if (row.Timestamp is { } written && now - written >= VerifyAfter)
            {
                state = await VerifyAsync(row, cancellationToken);
            }

            if (state == Live)
            {
                live++;
            }
            else if (state == Ended)
            {
                pending++;
            }
        }

        return new LiveCallCounts(live, pending);
    }

    /// <summary>The row's state per the ledger, with the row corrected (deleted when the call is processed or gone).</summary>
    private async Task<string?> VerifyAsync(TableEntity row, CancellationToken cancellationToken)
    {
        var call = await calls.GetAsync(row.RowKey, cancellationToken);
        if (call is null || StateOf(call) is null)
        {
            await RemoveAsync(row.PartitionKey, row.RowKey, cancellationToken);
            return null;
        }

        await TrackAsync(call, cancellationToken);
        return StateOf(call);
    }
}

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
/// its row is deleted. States only move forward (an ETag-conditional write never replaces <c>ended</c> by
/// <c>live</c>), so duplicate and out-of-order events cannot re-open a call. A row that a stale write re-created after
/// processing, or that missed a write, heals on read: rows untouched for <see cref="VerifyAfter"/> are checked
/// against the ledger (one point read each; only long calls and stragglers), and the watchdog closes calls whose
/// final events never came.
/// </summary>
public sealed class LiveCallIndex(TableServiceClient tables, CallStore calls, OptimisticConcurrency concurrency, TimeProvider time)
{
    public const string Live = "live";
    public const string Ended = "ended";

    /// <summary>How long a row may go unwritten before a read checks it against the ledger.</summary>
    public static readonly TimeSpan VerifyAfter = TimeSpan.FromMinutes(5);

    private readonly TableClient _table = tables.GetTableClient(StorageNames.LiveCallsTable);

    /// <summary>The state <paramref name="call"/> puts its index row in: live, ended, or null (processed, or no campaign).</summary>
    public static string? StateOf(CallRecord call) =>
        call.CampaignId is null || call.ProcessedAt is not null ? null
        : call.CompletedAt is not null || CallStateMachine.IsFinal(call) ? Ended
        : Live;

    /// <summary>Brings the call's index row in line with the ledger row just written. Idempotent.</summary>
    public Task TrackAsync(CallRecord call, CancellationToken cancellationToken = default) =>
        StateOf(call) is { } state
            ? MoveForwardAsync(call.CampaignId!, call.PartitionKey, state, cancellationToken)
            : call.CampaignId is { } campaignId ? RemoveAsync(campaignId, call.PartitionKey, cancellationToken) : Task.CompletedTask;

    /// <summary>The call was processed: it is neither in progress nor pending any more. Idempotent.</summary>
    public async Task RemoveAsync(string campaignId, string callId, CancellationToken cancellationToken = default)
    {
        try
        {
            await _table.DeleteEntityAsync(campaignId, callId, ETag.All, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound && !MissingStorageRecovery.IsMissingStorageCode(ex.ErrorCode))
        {
            // Already gone.
        }
    }

    private Task MoveForwardAsync(string campaignId, string callId, string state, CancellationToken cancellationToken) =>
        concurrency.RunAsync($"Live call {callId}", async ct =>
        {
            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(campaignId, callId, cancellationToken: ct);
            if (existing.HasValue && Rank(existing.Value!.GetString("State")) >= Rank(state))
            {
                return Attempt.Done(true);
            }

            var row = new TableEntity(campaignId, callId) { ["State"] = state };
            if (existing.HasValue)
            {
                await _table.UpdateEntityAsync(row, existing.Value!.ETag, TableUpdateMode.Replace, ct);
            }
            else
            {
                await _table.AddEntityAsync(row, ct);
            }

            return Attempt.Done(true);
        }, cancellationToken);

    private static int Rank(string? state) => state == Ended ? 2 : state == Live ? 1 : 0;

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

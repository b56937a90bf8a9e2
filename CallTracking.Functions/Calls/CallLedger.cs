using Azure.Data.Tables;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Calls;

/// <summary>The call after an update, and the enqueue claim this update won (null when it won none).</summary>
public sealed record LedgerUpdate(CallRecord Call, DateTimeOffset? EnqueueClaimedAt)
{
    /// <summary>The raw event row given with the update was new (false: a duplicate, or none given).</summary>
    public bool EventAdded { get; init; }
}

/// <summary>
/// Applies webhook events to the call ledger (<see cref="CallStore"/>, ETag-conditional, retried on lost races)
/// using the rules of <see cref="CallStateMachine"/>, and claims the call's one calls-completed message.
/// </summary>
public sealed class CallLedger(CallStore calls, CampaignStore campaigns, TimeProvider time)
{
    public Task<LedgerUpdate> ApplyEventAsync(VonageEvent e, CancellationToken cancellationToken = default) =>
        ApplyEventAsync(e, null, cancellationToken);

    /// <summary>
    /// Applies the event and stores <paramref name="eventRow"/> (its raw row, <see cref="CallEventStore.RowOf"/>) in the
    /// same transaction as the ledger change (<see cref="CallStore.UpdateAsync(string, Func{CallRecord, bool}, TableEntity?, CancellationToken)"/>).
    /// </summary>
    public async Task<LedgerUpdate> ApplyEventAsync(VonageEvent e, TableEntity? eventRow, CancellationToken cancellationToken = default)
    {
        var eventAdded = false;
        string? campaignId = null;
        var campaignLooked = false;
        while (true)
        {
            var needsCampaign = false;
            DateTimeOffset? claim = null;
            var write = await calls.UpdateAsync(e.ConversationUuid, current =>
            {
                needsCampaign = false;
                claim = null;
                if (!campaignLooked && CallStateMachine.NeedsCampaign(current, e))
                {
                    // The answer webhook's write has not landed (or failed): find the campaign from the number dialled.
                    needsCampaign = true;
                    return false;
                }

                var now = time.GetUtcNow();
                var changed = CallStateMachine.Apply(current, e, now, campaignId);
                if (CallStateMachine.TryClaimEnqueue(current, now))
                {
                    claim = current.EnqueueClaimedAt;
                    changed = true;
                }

                return changed;
            }, eventRow, cancellationToken);

            // A campaign lookup (rare: the answer's write is missing) stores the event alone first; it is not sent again.
            eventAdded |= write.Added;
            eventRow = null;
            if (!needsCampaign)
            {
                return new LedgerUpdate(write.Call, claim) { EventAdded = eventAdded };
            }

            var campaign = await campaigns.FindByTrackingNumberAsync(E164.FromVonage(e.To)!, cancellationToken);
            campaignId = campaign?.Id;
            campaignLooked = true;
        }
    }

    public Task<LedgerUpdate> AttachRecordingAsync(VonageEvent recording, CancellationToken cancellationToken = default) =>
        AttachRecordingAsync(recording, null, cancellationToken);

    /// <summary>Attaches the recording, storing <paramref name="eventRow"/> in the same transaction (see <see cref="ApplyEventAsync(VonageEvent, TableEntity?, CancellationToken)"/>).</summary>
    public async Task<LedgerUpdate> AttachRecordingAsync(VonageEvent recording, TableEntity? eventRow, CancellationToken cancellationToken = default)
    {
        DateTimeOffset? claim = null;
        var write = await calls.UpdateAsync(recording.ConversationUuid, current =>
        {
            claim = null;
            var changed = CallStateMachine.AttachRecording(current, recording);

            // Any later webhook may rescue a completed call whose message claim went stale.
            if (CallStateMachine.TryClaimEnqueue(current, time.GetUtcNow()))
            {
                claim = current.EnqueueClaimedAt;
                changed = true;
            }

            return changed;
        }, eventRow, cancellationToken);
        return new LedgerUpdate(write.Call, claim) { EventAdded = write.Added };
    }
}

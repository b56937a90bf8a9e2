using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Calls;

/// <summary>The call after an update, and the enqueue claim this update won (null when it won none).</summary>
public sealed record LedgerUpdate(CallRecord Call, DateTimeOffset? EnqueueClaimedAt);

/// <summary>
/// Applies webhook events to the call ledger (<see cref="CallStore"/>, ETag-conditional, retried on lost races)
/// using the rules of <see cref="CallStateMachine"/>, and claims the call's one calls-completed message.
/// </summary>
public sealed class CallLedger(CallStore calls, CampaignStore campaigns, TimeProvider time)
{
    public async Task<LedgerUpdate> ApplyEventAsync(VonageEvent e, CancellationToken cancellationToken = default)
    {
        string? campaignId = null;
        var campaignLooked = false;
        while (true)
        {
            var needsCampaign = false;
            DateTimeOffset? claim = null;
            var call = await calls.UpdateAsync(e.ConversationUuid, current =>
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
            }, cancellationToken);

            if (!needsCampaign)
            {
                return new LedgerUpdate(call, claim);
            }

            var campaign = await campaigns.FindByTrackingNumberAsync(E164.FromVonage(e.To)!, cancellationToken);
            campaignId = campaign?.Id;
            campaignLooked = true;
        }
    }

    public async Task<LedgerUpdate> AttachRecordingAsync(VonageEvent recording, CancellationToken cancellationToken = default)
    {
        DateTimeOffset? claim = null;
        var call = await calls.UpdateAsync(recording.ConversationUuid, current =>
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
        }, cancellationToken);
        return new LedgerUpdate(call, claim);
    }
}

using CallTracking.Functions.Processing;

namespace CallTracking.Functions.Callbacks;

/// <summary>
/// The processing stage of missed-call callbacks, on every processed call (idempotent per call):
/// an answered inbound call marks its caller as reached (later attempts are then not placed); a missed call of a
/// campaign with a <c>callback</c> policy gets its first attempt queued at once; a finished attempt records whether it
/// connected and, when it did not, queues the next one after the interval. An exhausted callback is announced by the
/// outgoing webhook (<c>callback.exhausted</c>, <c>Forwarding/WebhookSinks</c>) when the last attempt is forwarded.
/// </summary>
public sealed class CallbackScheduler(CallbackStore store, CallbackQueue queue, CallbackDialer dialer) : ICallProcessingStage
{
    public async Task RunAsync(CallProcessingContext context, CancellationToken cancellationToken)
    {
        var call = context.Call;
        if (call.Direction == CallbackRules.Outbound)
        {
            await AttemptFinishedAsync(context, cancellationToken);
            return;
        }

        // Campaigns without a policy cost nothing here: no marker, no message.
        if (call.CallerNumber is null || CallbackRules.PolicyOf(context.Campaign) is null)
        {
            return;
        }

        if (call.Outcome == CallOutcome.Answered)
        {
            await store.RecordAnsweredAsync(call.CallerNumber, context.Campaign!.Id, call.AgentLeg.AnsweredAt ?? call.StartedAt, cancellationToken);
            return;
        }

        if (!CallbackRules.IsMissed(call))
        {
            return;
        }

        // A redelivered message finds the first slot taken and sends nothing; a duplicate sent anyway is harmless
        // (the dialer's slot claim places the attempt once).
        if (await store.GetAsync(call.CallId, CallbackSlot.SlotKey(1), cancellationToken) is null)
        {
            await queue.SendAsync(new CallbackMessage(call.CallId, 1), TimeSpan.Zero, cancellationToken);
        }
    }

    private async Task AttemptFinishedAsync(CallProcessingContext context, CancellationToken cancellationToken)
    {
        var call = context.Call;
        if (call.CallbackOf is null || call.AttemptNumber is not { } attempt)
        {
            return;
        }

        var connected = call.Outcome == CallOutcome.Answered;
        var slot = await store.GetAsync(call.CallbackOf, CallbackSlot.SlotKey(attempt), cancellationToken) ?? new CallbackSlot
        {
            PartitionKey = call.CallbackOf,
            RowKey = CallbackSlot.SlotKey(attempt),
            MissedCallId = call.CallbackOf,
            Attempt = attempt,
            CampaignId = call.CampaignId,
            Status = "placed",
            AttemptCallId = call.CallId,
        };
        slot.Connected = connected;
        slot.Outcome = call.Outcome.ToString();
        await store.UpsertAsync(slot, cancellationToken);
        await store.UpsertAsync(CallbackStore.CampaignCopy(slot), cancellationToken);

        if (connected)
        {
            if (call.CallerNumber is not null && call.CampaignId is not null)
            {
                await store.RecordAnsweredAsync(call.CallerNumber, call.CampaignId, call.AgentLeg.AnsweredAt ?? call.StartedAt, cancellationToken);
            }

            return;
        }

        if (CallbackRules.PolicyOf(context.Campaign) is { } policy
            && await store.GetAsync(call.CallbackOf, CallbackSlot.SlotKey(attempt + 1), cancellationToken) is null)
        {
            await dialer.ScheduleNextAsync(call.CallbackOf, attempt, policy, cancellationToken);
        }
    }
}

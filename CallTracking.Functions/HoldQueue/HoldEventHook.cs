using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Processing;

namespace CallTracking.Functions.HoldQueue;

/// <summary>
/// The hold queue's part in the event and recording webhooks: joins a transferred leg's events to its call, keeps
/// agent availability from the ledger's agent legs, takes a caller who hangs up off the list, and answers a failed
/// synchronous connect with the hold NCCO (or, with <c>whenUnanswered</c>, with voicemail or the closing message).
/// Availability is kept only for the agents of <c>whenBusy</c> campaigns (<see cref="WhenBusyAgents"/>), whatever the
/// campaign of the call: nothing asks about any other agent.
/// </summary>
public sealed class HoldEventHook(
    HoldQueueService holdQueue, HoldQueueStore store, CampaignDirectory campaigns, CampaignCompiler compiler, CallbackUrlResolver callbackUrls,
    UnansweredConnect unanswered, WhenBusyAgents trackedAgents, RecentCallRecords? recentCalls = null)
    : ICallEventHook, ICallClosedHook
{
    /// <summary>The original call id, put in the query of the webhooks of a transfer's NCCO.</summary>
    public const string CallQueryKey = "call";

    public async ValueTask<VonageEvent> ResolveAsync(VonageEvent e, EventContext context, CancellationToken cancellationToken)
    {
        var marked = CallFromQuery(context.RequestUrl.Query);
        if (marked is not null)
        {
            return marked == e.ConversationUuid ? e : e with { ConversationUuid = marked, LegConversationUuid = e.ConversationUuid };
        }

        // A caller's leg that was transferred lives in a new conversation; its own events do not carry our marker.
        if (e.Uuid is not null && (e.Direction == "inbound" || e.Kind == VonageEventKind.Transfer) && !IsOwnConversation(e))
        {
            var hold = await store.GetHoldCallAsync(e.Uuid, cancellationToken);
            if (hold is not null && hold.CallId != e.ConversationUuid)
            {
                return e with { ConversationUuid = hold.CallId, LegConversationUuid = e.ConversationUuid };
            }
        }

        return e;
    }

    public async ValueTask<byte[]?> AfterLedgerAsync(VonageEvent e, CallRecord? call, EventContext context, CancellationToken cancellationToken)
    {
        if (e.Kind != VonageEventKind.Status || call is null || e.Uuid is null)
        {
            return null;
        }

        var callId = call.PartitionKey;
        if (e.Uuid == call.InboundLegUuid && CallStateMachine.IsTerminal(call.InboundStatus))
        {
            if (await MayHaveWaitedAsync(call, cancellationToken))
            {
                await holdQueue.LeaveAsync(e.Uuid, cancellationToken);
            }

            if (call.AgentNumber is { } reservedAgent && await trackedAgents.IsTrackedAsync(reservedAgent, cancellationToken))
            {
                // A caller transferred to the agent who hangs up before the agent answers frees the reservation.
                await holdQueue.FreeAsync(reservedAgent, callId, cancellationToken);
            }

            return null;
        }

        if (e.Uuid != call.AgentLegUuid || call.AgentNumber is not { } agent)
        {
            return null;
        }

        if (call.AgentStatus == "answered")
        {
            if (await trackedAgents.IsTrackedAsync(agent, cancellationToken))
            {
                await holdQueue.MarkBusyAsync(agent, callId, cancellationToken);
            }

            return null;
        }

        if (!CallStateMachine.IsTerminal(call.AgentStatus))
        {
            return null;
        }

        if (await trackedAgents.IsTrackedAsync(agent, cancellationToken))
        {
            await holdQueue.FreeAsync(agent, callId, cancellationToken);
        }

        return IsFailedConnect(e.Status) && !CallStateMachine.IsTerminal(call.InboundStatus) && call.InboundLegUuid is { } leg
            ? await HoldAfterFailedConnectAsync(call, agent, leg, e.LegConversationUuid ?? e.ConversationUuid, context, cancellationToken)
            : null;
    }

    /// <summary>A call closed by the watchdog (its <c>completed</c> was lost) frees its agent and leaves any wait list.</summary>
    public async Task OnClosedAsync(CallRecord call, CancellationToken cancellationToken)
    {
        if (call.InboundLegUuid is { } leg)
        {
            await holdQueue.LeaveAsync(leg, cancellationToken);
        }

        if (call.AgentNumber is { } agent && await trackedAgents.IsTrackedAsync(agent, cancellationToken))
        {
            await holdQueue.FreeAsync(agent, call.PartitionKey, cancellationToken);
        }
    }

    /// <summary>The statuses a synchronous connect reports when nobody answered; the webhook's reply is the next NCCO.</summary>
    public static bool IsFailedConnect(string? status) => status is "busy" or "timeout" or "unanswered" or "rejected" or "failed";

    /// <param name="legConversation">The conversation the caller's leg is in (the agent leg's, as Vonage reported it).</param>
    private async Task<byte[]?> HoldAfterFailedConnectAsync(CallRecord call, string agent, string leg, string legConversation,
        EventContext context, CancellationToken cancellationToken)
    {
        var campaign = call.CampaignId is null ? null : await campaigns.FindByIdAsync(call.CampaignId, cancellationToken);
        if (campaign?.WhenBusy is not { } whenBusy)
        {
            // Only the answer NCCO's own connect (never a forward or fallback) ends in whenUnanswered.
            return campaign?.WhenUnanswered is { } whenUnanswered && call.Route == CallOutcomeClassifier.ConnectRoute
                ? await unanswered.AnswerAsync(call, whenUnanswered, callbackUrls.Resolve(context.RequestUrl).BaseUrl, cancellationToken)
                : null;
        }

        // The region of the call is not in this event; the default Voice API host controls calls in any region.
        await holdQueue.JoinAsync(agent, campaign, new WaitingLeg(call.PartitionKey, leg, legConversation, RegionUrl: null),
            callbackUrls.Resolve(context.RequestUrl).BaseUrl, recheck: false, cancellationToken);
        return HoldNcco.OnHold(compiler.Get(campaign), whenBusy, withNotice: false);
    }

    /// <summary>
    /// The event's conversation is the one its leg started in: this instance has seen that call's row with this leg as
    /// its caller's leg (a leg uuid, once set, never changes). Only a transferred leg's events come from another
    /// conversation, so the hold-call lookup could only return this same call: it is skipped.
    /// </summary>
    private bool IsOwnConversation(VonageEvent e) =>
        recentCalls?.TryGet(e.ConversationUuid) is { } seen && seen.InboundLegUuid is { } leg && leg == e.Uuid;

    /// <summary>
    /// Only a caller of a <c>whenBusy</c> campaign joins a wait list, and joining sets <see cref="CallRecord.HoldEnteredAt"/>:
    /// for any other call the caller's hang-up has no wait to leave, so its hold-call read is skipped.
    /// </summary>
    private async ValueTask<bool> MayHaveWaitedAsync(CallRecord call, CancellationToken cancellationToken) =>
        call.HoldEnteredAt is not null
        || (call.CampaignId is { } campaignId && (await campaigns.FindByIdAsync(campaignId, cancellationToken))?.WhenBusy is not null);

    internal static string? CallFromQuery(string? query)
    {
        foreach (var pair in (query ?? "").TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && pair.AsSpan(0, eq).SequenceEqual(CallQueryKey))
            {
                var value = Uri.UnescapeDataString(pair[(eq + 1)..]);
                return value.Length is > 0 and <= 100 ? value : null;
            }
        }

        return null;
    }
}

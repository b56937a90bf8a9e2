using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Vonage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace CallTracking.Functions.HoldQueue;

/// <summary>
/// The hold queue: agent availability per agent number, each agent's wait list (first come, first served across
/// campaigns), the transfer of the longest-waiting caller when the agent frees, and the end of a wait at
/// <c>maxWaitSeconds</c>. Exactly one transfer per freed agent: freeing and taking the first caller is one
/// ETag-conditional transaction on the agent's partition, so a duplicate <c>completed</c> (the agent is no longer on
/// that call) or a concurrent free finds nothing to take.
/// </summary>
public sealed class HoldQueueService(
    HoldQueueStore store,
    CallStore calls,
    CampaignDirectory campaigns,
    CampaignCompiler compiler,
    VoiceApiClient voiceApi,
    QueueServiceClient queues,
    OptimisticConcurrency concurrency,
    IOptions<CallTrackingOptions> options,
    TimeProvider time,
    ILogger<HoldQueueService> logger)
{
    /// <summary>How long after a join the answer path re-checks an agent it found busy (the join may race the free).</summary>
    public static readonly TimeSpan RecheckDelay = TimeSpan.FromSeconds(3);

    /// <summary>A reservation (transfer sent, agent not answered) older than this is void: the transfer's connect is long over.</summary>
    public static readonly TimeSpan ReservationTimeout = TimeSpan.FromMinutes(5);

    /// <summary>How often a transfer is sent when the leg shows that the previous one did not happen.</summary>
    public const int MaxTransferSends = 2;

    /// <summary>When an agent is tried again after a transfer that could not be sent (the circuit's break lasts 5 s).</summary>
    public static readonly TimeSpan UnsentRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>The pause before reading a leg whose transfer's answer was lost.</summary>
    public static readonly TimeSpan TransferCheckDelay = TimeSpan.FromSeconds(1);

    private readonly QueueClient _queue = queues.GetQueueClient(StorageNames.HoldQueueQueue);

    /// <summary>Busy: on a call (not stale, see <see cref="CallTrackingOptions.StaleCallMinutes"/>) or reserved for a transfer.</summary>
    public bool IsBusy(AgentState? state)
    {
        if (state?.BusyCall is null || state.BusySince is not { } since)
        {
            return false;
        }

        var limit = state.Reserved ? ReservationTimeout : TimeSpan.FromMinutes(options.Value.StaleCallMinutes);
        return time.GetUtcNow() - since < limit;
    }

    /// <summary>A new caller must wait: the agent is busy, or others already wait for it (first come, first served).</summary>
    public async Task<bool> MustWaitAsync(string agent, CancellationToken cancellationToken)
    {
        var state = store.GetAgentAsync(agent, cancellationToken);
        var first = store.FirstWaitingAsync(agent, cancellationToken);
        var current = await state;
        if (await first is not null)
        {
            return true;
        }

        if (!IsBusy(current) || current!.Reserved || !await HasEndedAsync(agent, current.BusyCall!, cancellationToken))
        {
            return IsBusy(current);
        }

        // The busy mark outlived its call: the end was not counted (the agent was not tracked then, see
        // WhenBusyAgents, or its completed was lost). Free it now rather than hold callers until the mark goes stale.
        logger.LogWarning("Hold queue: agent {Agent} was still marked busy with call {CallId}, which has ended; freed",
            E164.Mask(agent), current.BusyCall);
        await FreeAsync(agent, current.BusyCall!, cancellationToken);
        return IsBusy(await store.GetAgentAsync(agent, cancellationToken)) || await store.FirstWaitingAsync(agent, cancellationToken) is not null;
    }

    /// <summary>The ledger says the agent's part of <paramref name="callId"/> is over (an unknown call proves nothing).</summary>
    private async Task<bool> HasEndedAsync(string agent, string callId, CancellationToken cancellationToken) =>
        await calls.GetAsync(callId, cancellationToken) is { } call
        && (call.CompletedAt is not null || (call.AgentNumber == agent && CallStateMachine.IsTerminal(call.AgentStatus)));

    /// <summary>The agent answered <paramref name="callId"/>'s agent leg.</summary>
    public Task MarkBusyAsync(string agent, string callId, CancellationToken cancellationToken) =>
        concurrency.RunAsync($"Agent {E164.Mask(agent)}", async ct =>
        {
            var state = await store.GetAgentAsync(agent, ct);
            if (state?.LastFreedCall == callId || (state?.BusyCall == callId && !state.Reserved))
            {
                return Attempt.Done(false);
            }

            var isNew = state is null;
            state ??= new AgentState { PartitionKey = agent };
            state.BusyCall = callId;
            state.BusySince = time.GetUtcNow();
            state.Reserved = false;
            await store.SaveAgentAsync(state, isNew, ct);
            return Attempt.Done(true);
        }, cancellationToken);

    /// <summary>
    /// <paramref name="callId"/> no longer holds the agent: if it was the agent's call, the agent is free and the
    /// longest-waiting caller is transferred (once). Anything else (a duplicate, another call) changes nothing.
    /// </summary>
    public Task FreeAsync(string agent, string callId, CancellationToken cancellationToken) =>
        DispatchAsync(agent, callId, cancellationToken);

    /// <summary>
    /// Gives the free agent to its longest-waiting caller. <paramref name="freedCall"/>: the call that just ended
    /// (the agent must still be on it); null: only when the agent is free (or its state is stale).
    /// </summary>
    public async Task DispatchAsync(string agent, string? freedCall, CancellationToken cancellationToken)
    {
        var expected = freedCall;
        while (true)
        {
            var taken = await TakeNextAsync(agent, expected, cancellationToken);
            if (taken is null)
            {
                return;
            }

            // Should the transfer's outcome stay unknown (a timeout), the reservation runs out; this check then
            // gives the agent to the next caller.
            await TrySendAsync(new HoldQueueMessage(HoldQueueMessage.Dispatch, AgentNumber: agent), ReservationTimeout + RecheckDelay, cancellationToken);
            if (await TransferToAgentAsync(taken, cancellationToken))
            {
                return;
            }

            // The transfer failed: the agent is free again (reserved for nobody); move on to the next caller.
            expected = taken.CallId;
        }
    }

    private Task<WaitEntry?> TakeNextAsync(string agent, string? expected, CancellationToken cancellationToken) =>
        concurrency.RunAsync($"Agent {E164.Mask(agent)}", async ct =>
        {
            var state = await store.GetAgentAsync(agent, ct);
            var holder = IsBusy(state) ? state!.BusyCall : null;
            if (expected is null ? holder is not null : state?.BusyCall != expected)
            {
                if (expected is not null && state is not null && state.LastFreedCall != expected && state.BusyCall is null)
                {
                    // The end raced ahead of its own answered event (processed concurrently): remember it, so that
                    // answered does not mark the agent busy afterwards.
                    state.LastFreedCall = expected;
                    await store.SaveAgentAsync(state, false, ct);
                }

                return Attempt.Done<WaitEntry?>(null); // not this caller's to free: a duplicate, or the agent is busy
            }

            var isNew = state is null;
            state ??= new AgentState { PartitionKey = agent };
            var next = await store.FirstWaitingAsync(agent, ct);
            if (next is null)
            {
                if (expected is null)
                {
                    return Attempt.Done<WaitEntry?>(null);
                }

                state.Release();
                state.LastFreedCall = expected;
                await store.SaveAgentAsync(state, isNew, ct);
                return Attempt.Done<WaitEntry?>(null);
            }

            state.LastFreedCall = expected ?? state.LastFreedCall;
            state.BusyCall = next.CallId;
            state.BusySince = time.GetUtcNow();
            state.Reserved = true;
            await store.TakeAsync(state, isNew, next, ct);
            return Attempt.Done<WaitEntry?>(next);
        }, cancellationToken);

    private async Task<bool> TransferToAgentAsync(WaitEntry entry, CancellationToken cancellationToken)
    {
        var campaign = await campaigns.FindByIdAsync(entry.CampaignId, cancellationToken);
        if (campaign is null)
        {
            logger.LogError("Hold queue: campaign {CampaignId} of waiting call {CallId} is gone; skipped", entry.CampaignId, entry.CallId);
            await EndHoldAsync(entry.LegUuid, HoldCall.TransferFailed, null, cancellationToken);
            return false;
        }

        await EndHoldAsync(entry.LegUuid, HoldCall.Transferred, HoldCall.Transferred, cancellationToken);
        var ncco = HoldNcco.ConnectToAgent(compiler.Get(campaign), entry.CallbackBase, entry.CallId);
        for (var send = 1; ; send++)
        {
            try
            {
                await voiceApi.TransferAsync(entry.LegUuid, ncco, entry.RegionUrl, cancellationToken);
                logger.LogInformation("Hold queue: call {CallId} transferred to agent {Agent} after {Seconds:F0}s", entry.CallId,
                    E164.Mask(entry.PartitionKey), (time.GetUtcNow() - entry.EnqueuedAt).TotalSeconds);
                return true;
            }
            catch (Exception ex) when (HttpFailure.MayHaveBeenSent(ex) && !cancellationToken.IsCancellationRequested)
            {
                // The PUT may or may not have reached Vonage (a timeout, a connection lost before the answer). Sending it
                // again blindly could transfer the caller twice; dropping the caller would leave them on hold for good.
                // The leg itself says which: a transfer moves it to a new conversation.
                switch (await CheckTransferAsync(entry, cancellationToken))
                {
                    case TransferCheck.Moved:
                        logger.LogInformation(ex, "Hold queue: call {CallId} transferred to agent {Agent} (confirmed after the answer was lost)",
                            entry.CallId, E164.Mask(entry.PartitionKey));
                        return true;
                    case TransferCheck.Gone:
                        logger.LogWarning(ex, "Hold queue: call {CallId} hung up during its transfer to agent {Agent}; trying the next caller",
                            entry.CallId, E164.Mask(entry.PartitionKey));
                        await EndHoldAsync(entry.LegUuid, HoldCall.TransferFailed, null, cancellationToken);
                        return false;
                    case TransferCheck.NotMoved when send < MaxTransferSends:
                        logger.LogWarning(ex, "Hold queue: transfer of call {CallId} to agent {Agent} did not happen; sending it again",
                            entry.CallId, E164.Mask(entry.PartitionKey));
                        continue;
                    default:
                        // The agent stays reserved for this caller until its agent leg answers or the reservation runs out.
                        logger.LogError(ex, "Hold queue: transfer of call {CallId} to agent {Agent} failed and its outcome is unknown; the agent stays reserved",
                            entry.CallId, E164.Mask(entry.PartitionKey));
                        return true;
                }
            }
            catch (Exception ex) when (NeverSent(ex) && !cancellationToken.IsCancellationRequested)
            {
                // Vonage never saw it (connection refused after the client's retries, an open circuit): the caller keeps
                // their place and the agent is tried again shortly, instead of losing the caller or every caller behind.
                logger.LogWarning(ex, "Hold queue: transfer of call {CallId} to agent {Agent} could not be sent; the caller keeps their place, retry in {Seconds}s",
                    entry.CallId, E164.Mask(entry.PartitionKey), UnsentRetryDelay.TotalSeconds);
                await RequeueAsync(entry, cancellationToken);
                return true;
            }
            catch (Exception ex) when (ex is VoiceApiException or HttpRequestException)
            {
                // Refused (404: the caller hung up meanwhile): the next caller must not wait for this one.
                logger.LogWarning(ex, "Hold queue: transfer of call {CallId} to agent {Agent} failed; trying the next caller",
                    entry.CallId, E164.Mask(entry.PartitionKey));
                await EndHoldAsync(entry.LegUuid, HoldCall.TransferFailed, null, cancellationToken);
                return false;
            }
        }
    }

    private static bool NeverSent(Exception ex) => ex is BrokenCircuitException || (ex is HttpRequestException && !HttpFailure.MayHaveBeenSent(ex));

    /// <summary>Undoes a take whose transfer was never sent: the entry returns with its row key (its place), then the agent is released.</summary>
    private async Task RequeueAsync(WaitEntry entry, CancellationToken cancellationToken)
    {
        entry.ETag = default;
        await store.AddWaitAsync(entry, cancellationToken);
        await concurrency.RunAsync($"Hold call {entry.LegUuid}", async ct =>
        {
            var hold = await store.GetHoldCallAsync(entry.LegUuid, ct);
            if (hold?.State != HoldCall.Transferred)
            {
                return Attempt.Done(false);
            }

            hold.State = HoldCall.Waiting;
            hold.WaitRowKey = entry.RowKey;
            hold.EndedAt = null;
            await store.SaveHoldCallAsync(hold, false, ct);
            return Attempt.Done(true);
        }, cancellationToken);
        await calls.UpdateAsync(entry.CallId, call =>
        {
            if (call.HoldResult != HoldCall.Transferred)
            {
                return false;
            }

            call.HoldResult = null;
            call.HoldEndedAt = null;
            return true;
        }, cancellationToken);
        await concurrency.RunAsync($"Agent {E164.Mask(entry.PartitionKey)}", async ct =>
        {
            var state = await store.GetAgentAsync(entry.PartitionKey, ct);
            if (state?.BusyCall != entry.CallId || !state.Reserved)
            {
                return Attempt.Done(false);
            }

            state.Release();
            await store.SaveAgentAsync(state, false, ct);
            return Attempt.Done(true);
        }, cancellationToken);
        await TrySendAsync(new HoldQueueMessage(HoldQueueMessage.Dispatch, AgentNumber: entry.PartitionKey), UnsentRetryDelay, cancellationToken);
    }

    /// <summary>After a transfer whose answer was lost: where the caller's leg is now.</summary>
    private async Task<TransferCheck> CheckTransferAsync(WaitEntry entry, CancellationToken cancellationToken)
    {
        // Real time, not the app's clock (tests freeze that): a PUT still in flight lands before the leg is read.
        await Task.Delay(TransferCheckDelay, cancellationToken);
        return await LocateLegAsync(entry.LegUuid, entry.LegConversation, entry.RegionUrl, entry.CallId, cancellationToken);
    }

    /// <summary>
    /// Where a waiting caller's leg is (<c>GET /v1/calls/{uuid}</c>): moved by a transfer to a new conversation, still in
    /// <paramref name="legConversation"/> (where it waited), gone, or unknown (not readable).
    /// </summary>
    private async Task<TransferCheck> LocateLegAsync(string legUuid, string? legConversation, string? regionUrl, string callId,
        CancellationToken cancellationToken)
    {
        if (legConversation is null)
        {
            return TransferCheck.Unknown;
        }

        try
        {
            var leg = await voiceApi.GetCallAsync(legUuid, regionUrl, cancellationToken);
            if (leg is null || CallStateMachine.IsTerminal(leg.Status))
            {
                return TransferCheck.Gone;
            }

            return leg.ConversationUuid is null ? TransferCheck.Unknown
                : leg.ConversationUuid == legConversation ? TransferCheck.NotMoved
                : TransferCheck.Moved;
        }
        catch (Exception ex) when (ex is VoiceApiException or HttpRequestException or TimeoutRejectedException or TaskCanceledException
                                   && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Hold queue: could not read the leg of call {CallId}", callId);
            return TransferCheck.Unknown;
        }
    }

    private enum TransferCheck
    {
        Moved,
        NotMoved,
        Gone,
        Unknown,
    }

    /// <summary>
    /// Puts the caller on the agent's wait list (idempotent per caller leg). <paramref name="recheck"/>: the agent
    /// was found busy on answer, so re-check it shortly in case it freed before this caller was on the list.
    /// </summary>
    public async Task<bool> JoinAsync(string agent, Campaign campaign, WaitingLeg leg, string callbackBase, bool recheck,
        CancellationToken cancellationToken)
    {
        var (callId, legUuid) = (leg.CallId, leg.LegUuid);
        var now = time.GetUtcNow();
        var firstJoin = false;
        var rowKey = WaitEntry.RowKeyFor(now, legUuid);
        var joined = await concurrency.RunAsync($"Hold call {legUuid}", async ct =>
        {
            var hold = await store.GetHoldCallAsync(legUuid, ct);
            if (hold?.State == HoldCall.Waiting || hold?.State is HoldCall.Voicemail or HoldCall.Message or HoldCall.Abandoned)
            {
                return Attempt.Done(false); // a retried webhook, or the wait is over for good
            }

            firstJoin = hold is null;
            var isNew = hold is null;
            hold ??= new HoldCall { PartitionKey = legUuid, CallId = callId, EnqueuedAt = now };
            hold.AgentNumber = agent;
            hold.CampaignId = campaign.Id;
            hold.State = HoldCall.Waiting;
            hold.WaitRowKey = rowKey;
            hold.LegConversation = leg.LegConversation;
            hold.CallbackBase = callbackBase;
            hold.EndedAt = null;
            await store.SaveHoldCallAsync(hold, isNew, ct);
            return Attempt.Done(true);
        }, cancellationToken);
        if (!joined)
        {
            return false;
        }

        await store.AddWaitAsync(new WaitEntry
        {
            PartitionKey = agent,
            RowKey = rowKey,
            CallId = callId,
            LegUuid = legUuid,
            CampaignId = campaign.Id,
            RegionUrl = leg.RegionUrl,
            LegConversation = leg.LegConversation,
            CallbackBase = callbackBase,
            EnqueuedAt = now,
        }, cancellationToken);
        await calls.UpdateAsync(callId, call =>
        {
            call.HoldEnteredAt ??= now;
            call.HoldResult = null;
            call.HoldEndedAt = null;
            return true;
        }, cancellationToken);

        if (firstJoin)
        {
            var maxWait = TimeSpan.FromSeconds(campaign.WhenBusy?.MaxWaitSeconds ?? CampaignValidator.MaxMaxWaitSeconds);
            await SendAsync(new HoldQueueMessage(HoldQueueMessage.Timeout, LegUuid: legUuid), maxWait, cancellationToken);
        }

        if (recheck)
        {
            await SendAsync(new HoldQueueMessage(HoldQueueMessage.Dispatch, AgentNumber: agent), RecheckDelay, cancellationToken);
        }

        logger.LogInformation("Hold queue: call {CallId} waits for agent {Agent}", callId, E164.Mask(agent));
        return true;
    }

    /// <summary>The caller's leg ended: a caller still waiting leaves the list (no transfer will be tried).</summary>
    public async Task LeaveAsync(string legUuid, CancellationToken cancellationToken)
    {
        var hold = await store.GetHoldCallAsync(legUuid, cancellationToken);
        if (hold?.State != HoldCall.Waiting || hold.WaitRowKey is null)
        {
            return;
        }

        if (await store.TryRemoveWaitAsync(hold.AgentNumber, hold.WaitRowKey, cancellationToken))
        {
            await EndHoldAsync(legUuid, HoldCall.Abandoned, null, cancellationToken);
            logger.LogInformation("Hold queue: call {CallId} hung up while waiting", hold.CallId);
        }
    }

    /// <summary>
    /// The caller's maximum wait is over: if still waiting, transfer to voicemail or the closing message. A caller whose
    /// transfer failed, or whose transfer's outcome stayed unknown, gets the same ending if the leg is still where it
    /// waited: nobody is left on hold for good.
    /// </summary>
    public async Task TimeOutAsync(string legUuid, CancellationToken cancellationToken)
    {
        var hold = await store.GetHoldCallAsync(legUuid, cancellationToken);
        if (hold?.State is HoldCall.Transferred or HoldCall.TransferFailed)
        {
            await EndIfStillOnHoldAsync(hold, cancellationToken);
            return;
        }

        if (hold?.State != HoldCall.Waiting || hold.WaitRowKey is null)
        {
            return;
        }

        // Removing the entry is the claim: a transfer that took it first wins, and then there is nothing to do.
        var entry = await store.GetWaitAsync(hold.AgentNumber, hold.WaitRowKey, cancellationToken);
        var callbackBase = entry?.CallbackBase;
        if (callbackBase is null || !await store.TryRemoveWaitAsync(hold.AgentNumber, hold.WaitRowKey, cancellationToken))
        {
            return;
        }

        await EndWaitAsync(hold, entry?.RegionUrl, callbackBase, onlyIfUnchanged: false, cancellationToken);
    }

    private async Task EndIfStillOnHoldAsync(HoldCall hold, CancellationToken cancellationToken)
    {
        if (hold.CallbackBase is null
            || await LocateLegAsync(hold.PartitionKey, hold.LegConversation, regionUrl: null, hold.CallId, cancellationToken) != TransferCheck.NotMoved)
        {
            return; // moved by its transfer, gone, or not readable
        }

        logger.LogWarning("Hold queue: call {CallId} is still on hold at its maximum wait although its transfer was {State}", hold.CallId, hold.State);
        await EndWaitAsync(hold, regionUrl: null, hold.CallbackBase, onlyIfUnchanged: true, cancellationToken);
    }

    /// <param name="onlyIfUnchanged">Claim the ending with the hold row's ETag (nothing else took the caller since it was read).</param>
    private async Task EndWaitAsync(HoldCall hold, string? regionUrl, string callbackBase, bool onlyIfUnchanged, CancellationToken cancellationToken)
    {
        var campaign = await campaigns.FindByIdAsync(hold.CampaignId, cancellationToken);
        var whenBusy = campaign?.WhenBusy ?? new WhenBusy { HoldMusicUrl = "https://invalid/" };
        var result = whenBusy.Then == WhenBusyThen.Voicemail ? HoldCall.Voicemail : HoldCall.Message;
        if (!await EndHoldAsync(hold.PartitionKey, result, result, cancellationToken, onlyIfUnchanged ? hold.ETag : null))
        {
            return;
        }

        try
        {
            await voiceApi.TransferAsync(hold.PartitionKey, HoldNcco.AfterMaxWait(whenBusy, callbackBase, hold.CallId), regionUrl, cancellationToken);
            logger.LogInformation("Hold queue: call {CallId} waited the maximum; sent to {Result}", hold.CallId, result);
        }
        catch (VoiceApiException ex)
        {
            // Retrying a PUT after an answer we did not get may transfer twice; the caller is told nothing more.
            logger.LogError(ex, "Hold queue: sending call {CallId} to {Result} after the maximum wait failed", hold.CallId, result);
        }
    }

    /// <param name="onlyIfETag">When set, the hold row must still be this version; false when it is not (or is gone).</param>
    private async Task<bool> EndHoldAsync(string legUuid, string state, string? callResult, CancellationToken cancellationToken,
        ETag? onlyIfETag = null)
    {
        var now = time.GetUtcNow();
        string? callId = null;
        await concurrency.RunAsync($"Hold call {legUuid}", async ct =>
        {
            var hold = await store.GetHoldCallAsync(legUuid, ct);
            if (hold is null || (onlyIfETag is { } etag && hold.ETag != etag))
            {
                return Attempt.Done(false);
            }

            callId = hold.CallId;
            hold.State = state;
            hold.EndedAt = now;
            await store.SaveHoldCallAsync(hold, false, ct);
            return Attempt.Done(true);
        }, cancellationToken);

        if (callId is null)
        {
            return false;
        }

        if (callResult is null && state != HoldCall.Abandoned)
        {
            return true;
        }

        await calls.UpdateAsync(callId, call =>
        {
            call.HoldResult = callResult;
            call.HoldEndedAt = now;
            if (callResult == HoldCall.Transferred && call.AgentLegUuid is not null && CallStateMachine.IsTerminal(call.AgentStatus))
            {
                // The failed connect that put the caller on hold is set aside: the transfer's agent leg is the call's.
                call.HoldReplacedAgentLegUuid = call.AgentLegUuid;
                call.ClearAgentLegState();
            }

            return true;
        }, cancellationToken);
        return true;
    }

    private async Task TrySendAsync(HoldQueueMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync(message, delay, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Hold queue: could not schedule the {Kind} check", message.Kind);
        }
    }

    private Task SendAsync(HoldQueueMessage message, TimeSpan delay, CancellationToken cancellationToken) =>
        _queue.SendMessageAsync(JsonSerializer.Serialize(message), delay, cancellationToken: cancellationToken);
}

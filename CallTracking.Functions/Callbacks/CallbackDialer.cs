using System.Net;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Vonage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace CallTracking.Functions.Callbacks;

/// <summary>What one <c>callbacks</c> message came to.</summary>
public enum CallbackResult
{
    Placed,
    AlreadyClaimed,
    Deferred,
    Resolved,
    NotEligible,
    Exhausted,
    Refused,
    Unknown,
}

/// <summary>
/// Places one attempt of a missed call's callback: checks it is still wanted (campaign policy, no answered call from
/// the caller since, business hours), claims the slot by inserting its row, and only then calls the Voice API, so
/// duplicates and redeliveries place the attempt once. The attempt gets its own call record (<c>direction:
/// outbound</c>, <c>attemptNumber</c>, <c>callbackOf</c>) that the event webhook fills like any call.
/// </summary>
public sealed class CallbackDialer(
    CallStore calls,
    CampaignStore campaigns,
    CallbackStore store,
    CallbackQueue queue,
    VoiceApiClient voice,
    IOptions<CallTrackingOptions> options,
    TimeProvider time,
    ILogger<CallbackDialer> logger)
{
    public async Task<CallbackResult> PlaceAsync(CallbackMessage message, CancellationToken cancellationToken)
    {
        var record = await calls.GetAsync(message.CallId, cancellationToken);
        var missed = record is null ? null : ProcessedCallMapper.From(record);
        if (missed is null || !CallbackRules.IsMissed(missed))
        {
            logger.LogWarning("Callback {Attempt} of call {CallId}: not a processed missed call; dropped", message.Attempt, message.CallId);
            return CallbackResult.NotEligible;
        }

        var campaign = await campaigns.GetAsync(missed.CampaignId!, cancellationToken);
        var policy = CallbackRules.PolicyOf(campaign);
        if (campaign is null || policy is null)
        {
            return CallbackResult.NotEligible;
        }

        if (message.Attempt < 1 || message.Attempt > policy.Attempts)
        {
            return CallbackResult.Exhausted;
        }

        var caller = missed.CallerNumber!;
        if (await store.LastAnsweredAsync(caller, campaign.Id, cancellationToken) >= missed.StartedAt)
        {
            logger.LogInformation("Callback {Attempt} of call {CallId}: the caller has had an answered call since; none placed", message.Attempt, message.CallId);
            return CallbackResult.Resolved;
        }

        var now = time.GetUtcNow();
        var wait = CallbackRules.WaitForOpening(campaign, policy, now);
        if (wait is null)
        {
            logger.LogWarning("Callback {Attempt} of call {CallId}: campaign {CampaignId} never opens; none placed", message.Attempt, message.CallId, campaign.Id);
            return CallbackResult.NotEligible;
        }

        if (wait > TimeSpan.Zero)
        {
            await queue.SendAsync(message, wait.Value, cancellationToken);
            return CallbackResult.Deferred;
        }

        var slot = new CallbackSlot
        {
            PartitionKey = missed.CallId,
            RowKey = CallbackSlot.SlotKey(message.Attempt),
            CampaignId = campaign.Id,
            MissedCallId = missed.CallId,
            Attempt = message.Attempt,
            Status = "claimed",
            ClaimedAt = now,
        };
        if (!await store.TryClaimAsync(slot, cancellationToken))
        {
            return CallbackResult.AlreadyClaimed;
        }

        CreatedCall created;
        try
        {
            created = await voice.CreateCallAsync(CallbackCall.Build(campaign, caller, options.Value.PublicBaseUrl), cancellationToken);
        }
        catch (Exception ex) when (SurelyNotPlaced(ex))
        {
            // Vonage refused before its call logic (429, 503) or was never reached: the slot is freed and the message
            // retried, as the Voice API client itself retries exactly these.
            await store.DeleteAsync(slot, cancellationToken);
            throw;
        }
        catch (VoiceApiException ex) when (ex.IsPermanent)
        {
            slot.Status = "refused";
            slot.Error = ex.Message;
            await SaveSlotAsync(slot, cancellationToken);
            logger.LogError("Callback {Attempt} of call {CallId} refused by the Voice API: {Error}", message.Attempt, message.CallId, ex.Message);
            await ScheduleNextAsync(missed.CallId, message.Attempt, policy, cancellationToken);
            return CallbackResult.Refused;
        }
        catch (Exception ex) when (ex is VoiceApiException or HttpRequestException or TimeoutRejectedException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // A timeout, a lost connection or a 5xx: the call may have been placed. Not retried blindly (the agent
            // could be rung twice); the slot stays claimed with the error, and the next attempt follows after the interval.
            slot.Error = ex.GetType().Name + ": " + ex.Message;
            await SaveSlotAsync(slot, cancellationToken);
            logger.LogError("Callback {Attempt} of call {CallId}: unknown whether the Voice API placed it ({Error}); not retried",
                message.Attempt, message.CallId, ex.GetType().Name);
            await ScheduleNextAsync(missed.CallId, message.Attempt, policy, cancellationToken);
            return CallbackResult.Unknown;
        }

        var attemptCallId = created.ConversationUuid ?? created.Uuid;
        await calls.UpdateAsync(attemptCallId, current => AttemptRecord.Apply(current, campaign, missed, message.Attempt, created.Uuid, now), cancellationToken);

        slot.Status = "placed";
        slot.PlacedAt = now;
        slot.AttemptCallId = attemptCallId;
        await SaveSlotAsync(slot, cancellationToken);
        logger.LogInformation("Callback {Attempt} of call {CallId} placed as {AttemptCallId} to {Agent}", message.Attempt, message.CallId,
            attemptCallId, E164.Mask(campaign.AgentNumber));
        return CallbackResult.Placed;
    }

    private static bool SurelyNotPlaced(Exception ex) => ex switch
    {
        VoiceApiException { Status: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable } => true,
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } => true,
        BrokenCircuitException => true,
        _ => false,
    };

    /// <summary>The next attempt after the interval, unless this was the last one; its slot claim keeps it single.</summary>
    public async Task ScheduleNextAsync(string missedCallId, int attempt, CallbackPolicy policy, CancellationToken cancellationToken)
    {
        if (attempt >= policy.Attempts)
        {
            return;
        }

        await queue.SendAsync(new CallbackMessage(missedCallId, attempt + 1), TimeSpan.FromMinutes(policy.IntervalMinutes), cancellationToken);
    }

    /// <summary>The slot row and its copy in the campaign's partition (the stats read that one).</summary>
    private async Task SaveSlotAsync(CallbackSlot slot, CancellationToken cancellationToken)
    {
        await store.UpsertAsync(slot, cancellationToken);
        await store.UpsertAsync(CallbackStore.CampaignCopy(slot), cancellationToken);
    }
}

using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Enrichment;
using CallTracking.Functions.Forwarding;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Processing;

/// <summary>How processing one queue message ended (a failure throws instead).</summary>
public enum ProcessingStatus
{
    /// <summary>Results stored, observers run, every sink has the call (delivered, failed for good or skipped).</summary>
    Processed,

    /// <summary>No such call in the ledger: a bad message; logged and completed.</summary>
    CallNotFound,
}

/// <summary>
/// What <c>ProcessCompletedCall</c> does with one finished call: classify it, enrich the caller, record first-time
/// vs repeat, store the results on the call (once: a redelivered message reuses them), run the
/// <see cref="IProcessedCallObserver"/>s, then forward it to the sinks. Safe to run any number of times per call.
/// </summary>
public sealed class CallProcessor(
    CallStore calls,
    CampaignDirectory campaigns,
    CallForwarder forwarder,
    IEnumerable<IProcessedCallObserver> observers,
    TimeProvider time,
    ILogger<CallProcessor> logger,
    ICallerEnrichment? enrichment = null,
    ICallerProfiles? profiles = null)
{
    /// <exception cref="DeliveryIncompleteException">A sink needs a retry: let the queue redeliver.</exception>
    public async Task<ProcessingStatus> ProcessAsync(string callId, CancellationToken cancellationToken = default)
    {
        var call = await calls.GetAsync(callId, cancellationToken);
        if (call is null)
        {
            // The webhooks write the ledger before they enqueue, so a missing call is a bad message, not lag.
            logger.LogError("Call {CallId} from the calls-completed queue is not in the ledger; message dropped", callId);
            return ProcessingStatus.CallNotFound;
        }

        // The cached directory (as the answer path): a campaign is read from storage at most once per TTL.
        var campaign = call.CampaignId is { Length: > 0 } campaignId ? await campaigns.FindByIdAsync(campaignId, cancellationToken) : null;

        var storedNow = false;
        if (call.ProcessedAt is null)
        {
            (call, storedNow) = await StoreResultsAsync(call, cancellationToken);
        }

        foreach (var observer in observers)
        {
            await observer.OnCallProcessedAsync(call, cancellationToken);
        }

        // Sinks are claimed only after the results are stored, so when this invocation stored them no sink can
        // have a ledger row yet: the forwarder skips that read (a concurrent duplicate still loses the insert race).
        await forwarder.ForwardAsync(call, campaign, cancellationToken, ledgerIsEmpty: storedNow);
        return ProcessingStatus.Processed;
    }

    /// <summary>Stores the results once; <c>StoredNow</c> is false when a concurrent duplicate stored them first.</summary>
    private async Task<(CallRecord Call, bool StoredNow)> StoreResultsAsync(CallRecord call, CancellationToken cancellationToken)
    {
        var callId = call.PartitionKey;
        var classification = CallOutcomeClassifier.Classify(call);
        var caller = enrichment is null ? null : await enrichment.EnrichAsync(call.CallerNumber, cancellationToken);
        if (caller?.FallbackReason is { } fallback)
        {
            logger.LogWarning("Enrichment of {Caller} fell back to {Provider}: {Reason}", E164.Mask(call.CallerNumber), caller.Provider, fallback);
        }

        bool? firstTime = profiles is null || call.CallerNumber is null
            ? null
            : await profiles.RecordCallAsync(call.CallerNumber, callId, CallFacts.StartedAt(call), cancellationToken);
        var processedAt = time.GetUtcNow();

        var stored = false;
        bool Apply(CallRecord target)
        {
            stored = target.ProcessedAt is null; // the last attempt decides
            if (!stored)
            {
                return false; // a concurrent duplicate stored them first: keep its results
            }

            target.Outcome = classification.Outcome.ToString();
            target.TalkSeconds = classification.TalkSeconds;
            target.CallSeconds = classification.CallSeconds;
            target.CarrierCost = (double)classification.CarrierCost;
            target.FirstTimeCaller = firstTime;
            if (caller is not null)
            {
                target.CallerCountry = caller.Country;
                target.CallerRegion = caller.Region;
                target.CallerCarrier = caller.Carrier;
                target.CallerLineType = caller.LineType;
                target.EnrichmentProvider = caller.Provider;
                target.EnrichmentCost = (double)caller.Cost;
            }

            target.ProcessedAt = processedAt;
            return true;
        }

        // Usually one conditional write with the ETag just read; a webhook that touched the row meanwhile
        // (a late recording) costs a re-read.
        if (Apply(call) && await calls.TryReplaceAsync(call, cancellationToken))
        {
            logger.LogInformation("Call {CallId} from {Caller}: {Outcome}, talk {TalkSeconds}s", callId, E164.Mask(call.CallerNumber),
                call.Outcome, call.TalkSeconds);
            return (call, true);
        }

        var updated = await calls.UpdateAsync(callId, Apply, cancellationToken);
        return (updated, stored);
    }
}

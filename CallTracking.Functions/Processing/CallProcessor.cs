using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Telemetry;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Processing;

/// <summary>How processing one queue message ended (a failure throws instead).</summary>
public enum ProcessingStatus
{
    /// <summary>Results stored and every stage run: reported, and every sink has the call (delivered, failed for good or skipped).</summary>
    Processed,

    /// <summary>No such call in the ledger: a bad message; logged and completed.</summary>
    CallNotFound,
}

/// <summary>
/// What <c>ProcessCompletedCall</c> does with one finished call, as a pipeline: classify it from its legs, let the
/// <see cref="ICallResultStage"/>s add to the results (caller enrichment), store the results on the call once (a
/// redelivered message reuses them), then run the <see cref="ICallProcessingStage"/>s in order on the
/// <see cref="ProcessedCall"/> (reporting, then forwarding). Safe to run any number of times per call.
/// </summary>
public sealed class CallProcessor(
    CallStore calls,
    CampaignDirectory campaigns,
    IEnumerable<ICallResultStage> resultStages,
    IEnumerable<ICallProcessingStage> stages,
    TimeProvider time,
    CallTrackingMetrics metrics,
    ILogger<CallProcessor> logger)
{
    /// <remarks>A stage that needs a retry (a sink failed) throws, so the queue redelivers the message.</remarks>
    public async Task<ProcessingStatus> ProcessAsync(string callId, CancellationToken cancellationToken = default)
    {
        var record = await calls.GetAsync(callId, cancellationToken);
        if (record is null)
        {
            // The webhooks write the ledger before they enqueue, so a missing call is a bad message, not lag.
            logger.LogError("Call {CallId} from the calls-completed queue is not in the ledger; message dropped", callId);
            return ProcessingStatus.CallNotFound;
        }

        // The cached directory (as the answer path): a campaign is read from storage at most once per TTL.
        var campaign = record.CampaignId is { Length: > 0 } campaignId ? await campaigns.FindByIdAsync(campaignId, cancellationToken) : null;

        var storedNow = false;
        if (record.ProcessedAt is null)
        {
            (record, storedNow) = await StoreResultsAsync(record, cancellationToken);
        }

        // Mapped from the stored row even when this invocation stored it, so a redelivery sees exactly the same call.
        var call = ProcessedCallMapper.From(record) ?? throw new InvalidOperationException($"Call {callId} has no stored results.");
        var context = new CallProcessingContext(call, campaign, storedNow);
        foreach (var stage in stages)
        {
            await stage.RunAsync(context, cancellationToken);
        }

        return ProcessingStatus.Processed;
    }

    /// <summary>Stores the results once; <c>StoredNow</c> is false when a concurrent duplicate stored them first.</summary>
    private async Task<(CallRecord Record, bool StoredNow)> StoreResultsAsync(CallRecord record, CancellationToken cancellationToken)
    {
        var callId = record.PartitionKey;
        var results = ProcessedCallMapper.Classify(record, time.GetUtcNow());
        foreach (var stage in resultStages)
        {
            results = await stage.AddResultsAsync(results, cancellationToken);
        }

        var stored = false;
        bool Apply(CallRecord target)
        {
            stored = target.ProcessedAt is null; // the last attempt decides
            if (!stored)
            {
                return false; // a concurrent duplicate stored them first: keep its results
            }

            ProcessedCallMapper.WriteResults(results, target);
            return true;
        }

        // Usually one conditional write with the ETag just read; a webhook that touched the row meanwhile
        // (a late recording) costs a re-read.
        if (Apply(record) && await calls.TryReplaceAsync(record, cancellationToken))
        {
            // Debug: the outcome is on the row, in the reports and in the metric; one Information line per call is noise.
            logger.LogDebug("Call {CallId} from {Caller}: {Outcome}, talk {TalkSeconds}s", callId, E164.Mask(record.CallerNumber),
                record.Outcome, record.TalkSeconds);
            metrics.CallProcessed(record.Outcome);
            return (record, true);
        }

        var updated = await calls.UpdateAsync(callId, Apply, cancellationToken);
        if (stored)
        {
            metrics.CallProcessed(updated.Outcome);
        }

        return (updated, stored);
    }
}

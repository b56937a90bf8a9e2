using CallTracking.Functions.Campaigns;

namespace CallTracking.Functions.Processing;

/// <summary>
/// A step that consumes a processed call once its results are stored: reporting, then forwarding. The processor runs
/// the stages in registration order (<c>AddCallProcessingStage</c>) on every delivery of the queue message, so each
/// must be idempotent per call. A throw fails the invocation and the queue redelivers the message.
/// </summary>
public interface ICallProcessingStage
{
    Task RunAsync(CallProcessingContext context, CancellationToken cancellationToken);
}

/// <summary>What the stages get for one call.</summary>
/// <param name="Campaign">Null when the number belongs to no campaign (or the campaign was deleted).</param>
/// <param name="ResultsStoredNow">
/// This invocation stored the results, so no stage can have acted on the call before (forwarding skips its ledger
/// read); false on a redelivery, or when a concurrent duplicate stored them first.
/// </param>
public sealed record CallProcessingContext(ProcessedCall Call, Campaign? Campaign, bool ResultsStoredNow);

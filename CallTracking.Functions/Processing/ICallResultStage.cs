namespace CallTracking.Functions.Processing;

/// <summary>
/// A step that adds to a call's results before the processor stores them (caller enrichment). Runs once per call,
/// in registration order (<c>AddCallResultStage</c>): a redelivered message reuses the stored results.
/// </summary>
public interface ICallResultStage
{
    /// <param name="call">The call as classified from its legs, with what earlier result stages added.</param>
    /// <returns>The call with this stage's results added.</returns>
    Task<ProcessedCall> AddResultsAsync(ProcessedCall call, CancellationToken cancellationToken);
}

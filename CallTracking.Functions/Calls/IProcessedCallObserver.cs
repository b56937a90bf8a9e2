namespace CallTracking.Functions.Calls;

/// <summary>
/// Told about every call the processor has finished (outcome and enrichment written to the ledger).
/// Invoked at least once per call: implementations must be idempotent.
/// </summary>
public interface IProcessedCallObserver
{
    Task OnProcessedAsync(CallRecord call, CancellationToken ct);
}

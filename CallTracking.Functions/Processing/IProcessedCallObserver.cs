using CallTracking.Functions.Calls;

namespace CallTracking.Functions.Processing;

/// <summary>
/// A step that runs after a call's results are stored and before it is forwarded to the sinks (e.g. reporting
/// aggregates). Registered by features as <c>services.AddSingleton&lt;IProcessedCallObserver, X&gt;()</c>; run in
/// registration order. Must be idempotent per call: a redelivered message runs every observer again.
/// A throw fails the invocation, so the queue retries the message.
/// </summary>
public interface IProcessedCallObserver
{
    /// <param name="call">The call with its <c>Outcome</c>, durations, cost, enrichment and <c>ProcessedAt</c> set.</param>
    Task OnCallProcessedAsync(CallRecord call, CancellationToken cancellationToken);
}

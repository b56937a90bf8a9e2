using CallTracking.Functions.Common;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// Re-opens a call's permanently failed deliveries (e.g. a 401 before the operator fixed the token, or an
/// impact.com send whose outcome was unknown) and queues the call, so the forwarder sends it to those sinks once
/// more: <c>POST /api/ops/replay?call=&lt;id&gt;[&amp;sink=&lt;name&gt;]&amp;failed=true</c>. Only <c>Failed</c> rows are
/// touched; delivered and skipped ones never are.
/// </summary>
public sealed class FailedDeliveryReplayer(DeliveryLedger ledger, DeliveryRequeue requeue, TimeProvider time, ILogger<FailedDeliveryReplayer> logger)
{
    /// <exception cref="NotFoundException">The call has no failed delivery (to that sink).</exception>
    public async Task<FailedReplayResult> ReplayAsync(string callId, string? sink, CancellationToken cancellationToken = default)
    {
        var failed = (await ledger.GetAsync(callId, cancellationToken))
            .Where(r => r.StatusValue == DeliveryStatus.Failed && (sink is null || string.Equals(r.RowKey, sink, StringComparison.Ordinal)))
            .ToList();
        if (failed.Count == 0)
        {
            throw new NotFoundException(sink is null
                ? $"Call {callId} has no failed delivery."
                : $"Call {callId} has no failed delivery to {sink}.");
        }

        var now = time.GetUtcNow();
        foreach (var row in failed)
        {
            row.Status = nameof(DeliveryStatus.Pending);
            row.LastError = "re-opened by replay after: " + row.LastError;
            row.ClaimedUntil = null;
            row.UpdatedAt = now;
        }

        // ETag-conditional: a concurrent replay or forwarder changed the rows, so nothing is re-opened twice.
        if (!await ledger.TrySaveAsync(failed, cancellationToken))
        {
            throw new ConcurrencyConflictException($"The deliveries of call {callId}", 1, null);
        }

        // Queued after the rows are pending: a crash in between leaves them pending for the next delivery of the call.
        await requeue.SendAsync(callId, TimeSpan.Zero, cancellationToken);
        var sinks = failed.Select(r => r.RowKey).Order(StringComparer.Ordinal).ToList();
        logger.LogInformation("Re-opened the failed deliveries of call {CallId} to {Sinks} and queued the call", callId, string.Join(", ", sinks));
        return new FailedReplayResult(callId, sinks);
    }
}

/// <summary>What a failed-delivery replay re-opened.</summary>
public sealed record FailedReplayResult(string CallId, IReadOnlyList<string> Reopened);

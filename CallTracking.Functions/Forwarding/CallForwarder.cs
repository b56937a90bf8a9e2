using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// Sends a processed call to every enabled sink that has not had it yet, recording each one in the delivery
/// ledger. Per call: one ledger read (none on the first attempt), one transaction to claim the pending sinks, the
/// sends (in parallel), one transaction with the results. Delivered, failed and skipped sinks are never sent again.
/// The last processing stage: it throws while a sink still needs the call, so the queue retries the message.
/// </summary>
public sealed class CallForwarder(
    IEnumerable<IDeliverySink> sinks,
    DeliveryLedger ledger,
    IOptions<ForwardingOptions> options,
    TimeProvider time,
    CallTrackingMetrics metrics,
    ILogger<CallForwarder> logger) : ICallProcessingStage
{
    private readonly IDeliverySink[] _sinks = sinks.Where(s => s.IsEnabled).ToArray();

    public IReadOnlyList<string> EnabledSinks => _sinks.Select(s => s.Name).ToArray();

    /// <summary>The processing stage: forwards the call, skipping the ledger read when the processor just stored its results.</summary>
    public Task RunAsync(CallProcessingContext context, CancellationToken cancellationToken) =>
        ForwardAsync(context.Call, context.Campaign, cancellationToken, ledgerIsEmpty: context.ResultsStoredNow);

    /// <param name="ledgerIsEmpty">
    /// The caller knows no sink row can exist yet (it stored the call's results just now): the ledger read is
    /// skipped. Safe if wrong: the claims are inserts, so an existing row fails them and the message retries.
    /// </param>
    /// <exception cref="DeliveryIncompleteException">
    /// A sink failed transiently, or another processor is sending right now: the message must be retried.
    /// </exception>
    public async Task ForwardAsync(ProcessedCall call, Campaign? campaign, CancellationToken cancellationToken, bool ledgerIsEmpty = false)
    {
        if (_sinks.Length == 0)
        {
            return;
        }

        var callId = call.CallId;
        var forwarded = new ForwardedCall(call, campaign);
        var existing = ledgerIsEmpty
            ? new Dictionary<string, DeliveryRecord>(StringComparer.Ordinal)
            : (await ledger.GetAsync(callId, cancellationToken)).ToDictionary(r => r.RowKey, StringComparer.Ordinal);
        var now = time.GetUtcNow();

        var claims = new List<DeliveryRecord>();
        var toSend = new List<(IDeliverySink Sink, DeliveryRecord Row)>();
        var busyElsewhere = new List<string>();
        foreach (var sink in _sinks)
        {
            existing.TryGetValue(sink.Name, out var row);
            if (row is { IsFinal: true })
            {
                continue;
            }

            if (row?.ClaimedUntil > now)
            {
                busyElsewhere.Add(sink.Name);
                continue;
            }

            row ??= new DeliveryRecord { PartitionKey = callId, RowKey = sink.Name };
            row.UpdatedAt = now;
            // A callback attempt (outbound) is no inbound call for analytics or affiliates: only the webhooks get it.
            if ((call.Direction is not null && sink is not (WebhookSink or CampaignWebhookSink) ? "outbound callback attempt" : sink.SkipReason(forwarded)) is { } reason)
            {
                row.Status = nameof(DeliveryStatus.Skipped);
                row.LastError = reason;
                row.ClaimedUntil = null;
                metrics.Delivery(sink.Name, "skipped");
            }
            else
            {
                row.Status = nameof(DeliveryStatus.Pending);
                row.Attempts++;
                row.ClaimedUntil = now.AddSeconds(options.Value.ClaimSeconds);
                toSend.Add((sink, row));
            }

            claims.Add(row);
        }

        if (!await ledger.TrySaveAsync(claims, cancellationToken))
        {
            throw new DeliveryIncompleteException(callId, "another processor is delivering this call", []);
        }

        var results = await Task.WhenAll(toSend.Select(async item => (item.Sink, item.Row, Result: await item.Sink.SendAsync(forwarded, cancellationToken))));

        var finishedAt = time.GetUtcNow();
        var transient = new List<string>();
        foreach (var (sink, row, result) in results)
        {
            row.Status = result.Status.ToString();
            row.LastHttpStatus = result.HttpStatus;
            row.HttpRequests += result.HttpRequests;
            row.ClaimedUntil = null;
            row.UpdatedAt = finishedAt;
            row.LastError = result.Error;
            if (result.Status == DeliveryStatus.Delivered)
            {
                row.DeliveredAt = finishedAt;
                // Information, not Debug: the sink alert (infra/modules/alerts.bicep) reads it to tell a sink that
                // recovered from one still failing, until that alert moves to the deliveries metric.
                logger.LogInformation("Call {CallId} delivered to {Sink} (attempt {Attempt})", callId, sink.Name, row.Attempts);
                metrics.Delivery(sink.Name, "delivered");
            }
            else if (result.Status == DeliveryStatus.Failed)
            {
                metrics.Delivery(sink.Name, "failed");
                logger.LogError("Call {CallId} refused by {Sink} for good: {Error}", callId, sink.Name, result.Error);
            }
            else
            {
                transient.Add(sink.Name);
                metrics.Delivery(sink.Name, "transient");
                logger.LogWarning("Call {CallId} not delivered to {Sink} (attempt {Attempt}), will retry: {Error}",
                    callId, sink.Name, row.Attempts, result.Error);
            }
        }

        // Our own claims: nobody else writes these rows before ClaimedUntil, so a lost race here means the
        // claim expired mid-send; the message retries and the ledger decides again.
        if (!await ledger.TrySaveAsync(results.Select(r => r.Row).ToList(), cancellationToken))
        {
            throw new DeliveryIncompleteException(callId, "the delivery ledger changed while sending", []);
        }

        if (transient.Count > 0 || busyElsewhere.Count > 0)
        {
            throw new DeliveryIncompleteException(callId,
                transient.Count > 0 ? "transient failures" : "another processor is delivering this call",
                [.. transient, .. busyElsewhere]);
        }
    }
}

/// <summary>Some sink still needs the call: thrown so the queue message is retried (and, in the end, poisoned).</summary>
public sealed class DeliveryIncompleteException(string callId, string reason, IReadOnlyList<string> sinks)
    : Exception($"Call {callId}: not every sink has it yet ({reason}{(sinks.Count > 0 ? ": " + string.Join(", ", sinks) : "")}).")
{
    public string CallId { get; } = callId;

    public IReadOnlyList<string> Sinks { get; } = sinks;
}

using System.Runtime.ExceptionServices;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Recordings;
using CallTracking.Functions.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// Sends a processed call to every enabled sink that has not had it yet, recording each one in the delivery
/// ledger. Per call: one ledger read (none on the first attempt), one transaction to claim the pending sinks, the
/// sends (in parallel), one transaction with the results. Delivered, failed and skipped sinks are never sent again,
/// except once more to a sink that carries the recording (<see cref="IRecordingSink"/>) when the recording arrived
/// after it had the call. The last processing stage: it throws while a sink still needs the call after a transient
/// failure, so the queue retries the message; a sink another invocation is sending right now re-queues the message
/// with a delay instead (a throw would burn a dequeue of a call that is doing fine).
/// </summary>
public sealed class CallForwarder(
    IEnumerable<IDeliverySink> sinks,
    DeliveryLedger ledger,
    DeliveryRequeue requeue,
    IOptions<ForwardingOptions> options,
    IOptions<CallTrackingOptions> appOptions,
    TimeProvider time,
    CallTrackingMetrics metrics,
    ILogger<CallForwarder> logger) : ICallProcessingStage
{
    /// <summary>How long releasing claims may take after the invocation's own token was cancelled.</summary>
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Added to a claim's remaining time before a re-queued message looks again, so it finds the claim gone.</summary>
    private static readonly TimeSpan RequeueMargin = TimeSpan.FromSeconds(2);

    private readonly IDeliverySink[] _sinks = sinks.Where(s => s.IsEnabled).ToArray();

    public IReadOnlyList<string> EnabledSinks => _sinks.Select(s => s.Name).ToArray();

    /// <summary>The processing stage: forwards the call, skipping the ledger read when the processor just stored its results.</summary>
    public Task RunAsync(CallProcessingContext context, CancellationToken cancellationToken) =>
        ForwardAsync(context.Call, context.Campaign, cancellationToken, ledgerIsEmpty: context.ResultsStoredNow);

    /// <param name="ledgerIsEmpty">
    /// The caller knows no sink row can exist yet (it stored the call's results just now): the first ledger read is
    /// skipped. Safe if wrong: the claims are inserts, so an existing row fails them and the ledger is read then.
    /// </param>
    /// <exception cref="DeliveryIncompleteException">A sink failed transiently: the message must be retried.</exception>
    public async Task ForwardAsync(ProcessedCall call, Campaign? campaign, CancellationToken cancellationToken, bool ledgerIsEmpty = false)
    {
        if (_sinks.Length == 0)
        {
            return;
        }

        var callId = call.CallId;
        var forwarded = new ForwardedCall(call, campaign)
        {
            PublishedRecordingUrl = call.RecordingUrl is not null && !string.IsNullOrEmpty(appOptions.Value.PublicBaseUrl)
                ? RecordingLinks.PublishedUrl(appOptions.Value.PublicBaseUrl, call.CallId)
                : call.RecordingUrl,
        };
        var plan = await ClaimAsync(forwarded, readLedger: !ledgerIsEmpty, cancellationToken);
        if (plan is null)
        {
            // Three lost races in a row: others are busy with this call; look again once their claims can have ended.
            await RequeueAsync(callId, TimeSpan.FromSeconds(options.Value.ClaimSeconds), "the delivery ledger kept changing", cancellationToken);
            return;
        }

        var sends = await Task.WhenAll(plan.ToSend.Select(async item =>
        {
            try
            {
                return new Send(item.Sink, item.Row, await item.Sink.SendAsync(forwarded, cancellationToken), null);
            }
            catch (Exception ex)
            {
                // A sink bug or the invocation being cancelled (host shutdown): caught per sink, so the others'
                // results are still recorded and this claim is released below.
                return new Send(item.Sink, item.Row, null, ex);
            }
        }));

        var finishedAt = time.GetUtcNow();
        var transient = new List<string>();
        foreach (var (sink, row, result, _) in sends)
        {
            row.ClaimedUntil = null;
            row.UpdatedAt = finishedAt;
            if (result is null)
            {
                // Left pending, unclaimed: the redelivery sends it at once instead of waiting for the claim to expire.
                row.Status = nameof(DeliveryStatus.Pending);
                row.LastError = "interrupted before its result was known";
                continue;
            }

            row.Status = result.Status.ToString();
            row.LastHttpStatus = result.HttpStatus;
            row.HttpRequests += result.HttpRequests;
            row.LastError = result.Error;
            if (result.Status == DeliveryStatus.Delivered)
            {
                row.DeliveredAt = finishedAt;
                if (sink is IRecordingSink)
                {
                    row.SentRecordingUrl = call.RecordingUrl ?? ""; // "": sent without one, so a late one is an update
                }

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

        var interrupted = sends.FirstOrDefault(s => s.Exception is not null)?.Exception;
        if (interrupted is not null)
        {
            // Best effort, on a token of its own: the invocation's may be the one that was cancelled.
            await SaveBestEffortAsync(callId, sends.Select(s => s.Row).ToList());
            ExceptionDispatchInfo.Capture(interrupted).Throw();
        }

        // Our own claims: nobody else writes these rows before ClaimedUntil, so a lost race here means the claim
        // expired mid-send and another invocation took the sink over: let the ledger decide again later.
        if (!await ledger.TrySaveAsync(sends.Select(s => s.Row).ToList(), cancellationToken))
        {
            await RequeueAsync(callId, TimeSpan.FromSeconds(options.Value.ClaimSeconds), "the delivery ledger changed while sending", cancellationToken);
            return;
        }

        if (transient.Count > 0)
        {
            throw new DeliveryIncompleteException(callId, "transient failures", [.. transient, .. plan.BusyElsewhere.Keys]);
        }

        if (plan.BusyElsewhere.Count > 0)
        {
            var until = plan.BusyElsewhere.Values.Max();
            await RequeueAsync(callId, until - time.GetUtcNow() + RequeueMargin,
                "another invocation is sending to " + string.Join(", ", plan.BusyElsewhere.Keys), cancellationToken);
        }
    }

    /// <summary>
    /// Plans and writes the claims; on a lost race (another invocation claimed or finished a sink between our read
    /// and our write) reads the ledger and plans again. Null after three lost races.
    /// </summary>
    private async Task<Plan?> ClaimAsync(ForwardedCall forwarded, bool readLedger, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var existing = readLedger
                ? (await ledger.GetAsync(forwarded.CallId, cancellationToken)).ToDictionary(r => r.RowKey, StringComparer.Ordinal)
                : new Dictionary<string, DeliveryRecord>(StringComparer.Ordinal);
            var plan = PlanClaims(forwarded, existing, time.GetUtcNow());
            if (await ledger.TrySaveAsync(plan.Claims, cancellationToken))
            {
                return plan;
            }

            readLedger = true;
        }

        return null;
    }

    private Plan PlanClaims(ForwardedCall forwarded, Dictionary<string, DeliveryRecord> existing, DateTimeOffset now)
    {
        var plan = new Plan();
        foreach (var sink in _sinks)
        {
            existing.TryGetValue(sink.Name, out var row);
            if (row is { IsFinal: true } && !NeedsRecordingUpdate(sink, row, forwarded.Call))
            {
                continue;
            }

            if (row?.ClaimedUntil > now)
            {
                plan.BusyElsewhere[sink.Name] = row.ClaimedUntil.Value;
                continue;
            }

            row ??= new DeliveryRecord { PartitionKey = forwarded.CallId, RowKey = sink.Name };
            row.UpdatedAt = now;
            if (row.StatusValue != DeliveryStatus.Delivered && SkipReason(sink, forwarded) is { } reason)
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
                plan.ToSend.Add((sink, row));
            }

            plan.Claims.Add(row);
        }

        return plan;
    }

    /// <summary>A callback attempt (outbound) is no inbound call for analytics or affiliates: only <see cref="IOutboundCallSink"/>s get it.</summary>
    private static string? SkipReason(IDeliverySink sink, ForwardedCall forwarded) =>
        forwarded.Call.Direction is not null && sink is not IOutboundCallSink
            ? "outbound callback attempt"
            : sink.SkipReason(forwarded);

    /// <summary>Delivered without a recording ("" recorded) and the call has one now: one update carrying it.</summary>
    private static bool NeedsRecordingUpdate(IDeliverySink sink, DeliveryRecord row, ProcessedCall call) =>
        sink is IRecordingSink && row.StatusValue == DeliveryStatus.Delivered && call.RecordingUrl is not null
        && row.SentRecordingUrl is not null && !string.Equals(row.SentRecordingUrl, call.RecordingUrl, StringComparison.Ordinal);

    private async Task SaveBestEffortAsync(string callId, IReadOnlyList<DeliveryRecord> rows)
    {
        try
        {
            using var timeout = new CancellationTokenSource(ReleaseTimeout);
            await ledger.TrySaveAsync(rows, timeout.Token);
        }
        catch (Exception ex)
        {
            // The claims then expire by themselves (ClaimSeconds) and a redelivery re-queues itself until they do.
            logger.LogWarning(ex, "Could not release the delivery claims of call {CallId}", callId);
        }
    }

    private async Task RequeueAsync(string callId, TimeSpan delay, string reason, CancellationToken cancellationToken)
    {
        await requeue.SendAsync(callId, delay, cancellationToken);
        logger.LogInformation("Re-queued call {CallId} for {DelaySeconds:0}s: {Reason}", callId, delay.TotalSeconds, reason);
    }

    private sealed record Send(IDeliverySink Sink, DeliveryRecord Row, SinkResult? Result, Exception? Exception);

    private sealed class Plan
    {
        public List<DeliveryRecord> Claims { get; } = [];

        public List<(IDeliverySink Sink, DeliveryRecord Row)> ToSend { get; } = [];

        /// <summary>Sinks another invocation holds a fresh claim on, with when that claim ends.</summary>
        public Dictionary<string, DateTimeOffset> BusyElsewhere { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>Some sink still needs the call: thrown so the queue message is retried (and, in the end, poisoned).</summary>
public sealed class DeliveryIncompleteException(string callId, string reason, IReadOnlyList<string> sinks)
    : Exception($"Call {callId}: not every sink has it yet ({reason}{(sinks.Count > 0 ? ": " + string.Join(", ", sinks) : "")}).")
{
    public string CallId { get; } = callId;

    public IReadOnlyList<string> Sinks { get; } = sinks;
}

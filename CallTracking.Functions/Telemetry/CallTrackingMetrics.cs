using System.Diagnostics.Metrics;

namespace CallTracking.Functions.Telemetry;

/// <summary>
/// The app's own counters, on the <see cref="MeterName"/> meter. Recorded by the domain services where the thing
/// happens, always (a counter nobody listens to costs next to nothing); exported only when telemetry is on
/// (<see cref="TelemetrySetup"/>). Tags are low-cardinality on purpose: never a call id, campaign or number.
/// </summary>
public sealed class CallTrackingMetrics
{
    public const string MeterName = "CallTracking";

    public const string CallsProcessed = "calltracking.calls.processed";
    public const string Deliveries = "calltracking.deliveries";
    public const string Enrichments = "calltracking.enrichments";
    public const string QueuePoisoned = "calltracking.queue.poisoned";
    public const string PoisonReplayed = "calltracking.poison.replayed";
    public const string WatchdogActions = "calltracking.watchdog.actions";
    public const string AnswerFallbacks = "calltracking.answer.fallbacks";
    public const string CallStartsDropped = "calltracking.callstarts.dropped";

    private readonly Counter<long> _callsProcessed;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _enrichments;
    private readonly Counter<long> _queuePoisoned;
    private readonly Counter<long> _poisonReplayed;
    private readonly Counter<long> _watchdogActions;
    private readonly Counter<long> _answerFallbacks;
    private readonly Counter<long> _callStartsDropped;

    public CallTrackingMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _callsProcessed = meter.CreateCounter<long>(CallsProcessed, "{call}", "Finished calls whose results were stored, by outcome.");
        _deliveries = meter.CreateCounter<long>(Deliveries, "{delivery}", "Sink attempts by sink and result (delivered, failed, transient, skipped).");
        _enrichments = meter.CreateCounter<long>(Enrichments, "{lookup}", "Caller enrichments by configured provider, cache hit and fallback to offline data.");
        _queuePoisoned = meter.CreateCounter<long>(QueuePoisoned, "{message}", "Queue invocations that failed on their last attempt: the host moves the message to -poison.");
        _poisonReplayed = meter.CreateCounter<long>(PoisonReplayed, "{message}", "Messages moved back from a -poison queue by the replay endpoint.");
        _watchdogActions = meter.CreateCounter<long>(WatchdogActions, "{call}", "Stale-call watchdog actions: closed, rescued (final but never queued), resent.");
        _answerFallbacks = meter.CreateCounter<long>(AnswerFallbacks, "{call}", "Calls answered with the fallback NCCO, by source (answer error, Vonage fallback URL).");
        _callStartsDropped = meter.CreateCounter<long>(CallStartsDropped, "{call}",
            "Call starts the answer could not hand to the background writer (its queue full): the event webhook writes those rows.");
    }

    public void CallProcessed(string? outcome) =>
        _callsProcessed.Add(1, new KeyValuePair<string, object?>("outcome", outcome ?? "unknown"));

    /// <param name="result">delivered, failed, transient or skipped.</param>
    public void Delivery(string sink, string result) =>
        _deliveries.Add(1, new KeyValuePair<string, object?>("sink", sink), new KeyValuePair<string, object?>("result", result));

    public void Enrichment(string provider, bool cached, bool fallback) =>
        _enrichments.Add(1, new KeyValuePair<string, object?>("provider", provider),
            new KeyValuePair<string, object?>("cached", cached), new KeyValuePair<string, object?>("fallback", fallback));

    public void QueueMessagePoisoned(string function) =>
        _queuePoisoned.Add(1, new KeyValuePair<string, object?>("function", function));

    public void PoisonMessagesReplayed(string queue, int count)
    {
        if (count > 0)
        {
            _poisonReplayed.Add(count, new KeyValuePair<string, object?>("queue", queue));
        }
    }

    /// <param name="action">closed, rescued or resent.</param>
    public void WatchdogAction(string action) =>
        _watchdogActions.Add(1, new KeyValuePair<string, object?>("action", action));

    /// <param name="source">answer_error or fallback_url.</param>
    public void AnswerFallback(string source) =>
        _answerFallbacks.Add(1, new KeyValuePair<string, object?>("source", source));

    /// <summary>A call start dropped by the full call-start queue (never blocks the answer).</summary>
    public void CallStartDropped() => _callStartsDropped.Add(1);
}

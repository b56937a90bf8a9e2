using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using CallTracking.Functions.Common;
using CallTracking.Functions.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Calls;

/// <summary>
/// The delayed check on <c>calls-watchdog</c>: of one call (<c>{"callId": ...}</c>: a rescheduled check, and every
/// message queued before batches existed) or of the calls the start writer recorded together (<c>{"callIds": [...]}</c>).
/// </summary>
public sealed record CallWatchdogMessage(
    [property: JsonPropertyName("callId"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CallId,
    [property: JsonPropertyName("callIds"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? CallIds = null)
{
    /// <summary>Every call the message asks to check, either shape, without blanks or repeats.</summary>
    public IReadOnlyList<string> AllCallIds() =>
        (CallIds ?? []).Prepend(CallId).OfType<string>().Where(id => !string.IsNullOrWhiteSpace(id)).Distinct(StringComparer.Ordinal).ToList();
}

/// <summary>
/// Makes sure no answered call stays open for ever. Vonage retries a webhook only for a while; if our event
/// endpoint was down longer, a call's final events are lost and the completion message is never sent. So every
/// answered call also gets one delayed message on <c>calls-watchdog</c>; when it comes due the watchdog:
/// <list type="bullet">
/// <item>does nothing if the call was queued and processed (the normal case: one point read);</item>
/// <item>queues it again if it was queued long ago but never processed (a lost message);</item>
/// <item>sends the completion message if the call is final but its sender's claim went stale (send failed, then crashed);</item>
/// <item>closes the call (<see cref="CallRecord.ClosedByWatchdogAt"/>) and queues it when it has shown no sign of life
/// for <see cref="CallTrackingOptions.StaleCallMinutes"/>; the outcome comes from what the ledger knows;</item>
/// <item>otherwise (a long call still going) checks again later.</item>
/// </list>
/// Every step goes through the same ETag-conditional claim as the event webhook, so a redelivered watchdog message
/// or a racing webhook still yields exactly one calls-completed message.
/// </summary>
public sealed class StaleCallWatchdog(
    QueueServiceClient queues,
    CallStore calls,
    CompletionNotifier notifier,
    LiveCallIndex liveCalls,
    IOptions<CallTrackingOptions> options,
    TimeProvider time,
    CallTrackingMetrics metrics,
    ILogger<StaleCallWatchdog> logger,
    IEnumerable<ICallClosedHook>? closedHooks = null)
{
    // A queue message can stay invisible for at most 7 days.
    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7);

    private readonly QueueClient _queue = queues.GetQueueClient(StorageNames.CallsWatchdogQueue);

    private TimeSpan StaleAfter => TimeSpan.FromMinutes(options.Value.StaleCallMinutes);

    /// <summary>What <see cref="CheckAsync"/> found.</summary>
    public enum Verdict
    {
        /// <summary>No such call, or it was already queued for processing.</summary>
        NothingToDo,

        /// <summary>The call was final but its completion message was never sent: sent now.</summary>
        Rescued,

        /// <summary>The call showed no sign of life for too long: closed and queued now.</summary>
        Closed,

        /// <summary>Queued long ago but never processed (message lost): queued again.</summary>
        Resent,

        /// <summary>Still in progress (or another sender holds a fresh claim): checked again later.</summary>
        Rescheduled,
    }

    /// <summary>Checks of the calls a batch's failed checks left, done again after this long (like a retried queue message).</summary>
    public static readonly TimeSpan FailedChecksRetryDelay = TimeSpan.FromMinutes(2);

    // Checks of one message run side by side, each a point read or two: a batch of 100 then takes a few round trips.
    private const int ParallelChecks = 8;

    /// <summary>Schedules the check of a call that has just started.</summary>
    public Task ScheduleAsync(string callId, CancellationToken cancellationToken = default) =>
        SendAsync(callId, StaleAfter, cancellationToken);

    /// <summary>
    /// Schedules the checks of calls that have just started, all in one message (one of <see cref="WatchdogMessages.Split"/>).
    /// Returns the queue's receipt.
    /// </summary>
    public async Task<SendReceipt> ScheduleAsync(CallWatchdogMessage message, CancellationToken cancellationToken = default) =>
        await SendAsync(message, StaleAfter, cancellationToken);

    /// <summary>
    /// Checks every call of one message (<see cref="CheckAsync"/> each, so a redelivered message changes nothing). A
    /// failed check does not hold up the others: when some fail, only those are queued again (one message, due after
    /// <see cref="FailedChecksRetryDelay"/>); when all fail, this throws and the queue retries the message (then poison).
    /// Every pass shrinks the set or goes through the queue's retries, so a call that always fails ends in poison.
    /// Returns the receipt of the message that checks the failed ones again, null when none failed.
    /// </summary>
    public async Task<SendReceipt?> CheckAllAsync(IReadOnlyList<string> callIds, CancellationToken cancellationToken = default)
    {
        if (callIds.Count == 1)
        {
            await CheckAsync(callIds[0], cancellationToken);
            return null;
        }

        var failures = new ConcurrentDictionary<string, Exception>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(callIds, new ParallelOptions { MaxDegreeOfParallelism = ParallelChecks, CancellationToken = cancellationToken },
            async (callId, ct) =>
            {
                try
                {
                    await CheckAsync(callId, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    failures[callId] = ex;
                }
            });
        if (failures.IsEmpty)
        {
            return null;
        }

        if (failures.Count == callIds.Count)
        {
            throw new AggregateException($"Every check of the {callIds.Count} calls in this calls-watchdog message failed", failures.Values);
        }

        var failed = callIds.Where(failures.ContainsKey).ToList();
        foreach (var (callId, ex) in failures)
        {
            logger.LogWarning(ex, "Stale-call check of call {CallId} failed; checking it again in {Delay}", callId, FailedChecksRetryDelay);
        }

        return await SendAsync(new CallWatchdogMessage(null, failed), FailedChecksRetryDelay, cancellationToken);
    }

    public async Task<Verdict> CheckAsync(string callId, CancellationToken cancellationToken = default)
    {
        var existing = await calls.GetAsync(callId, cancellationToken);
        if (existing is null)
        {
            return Verdict.NothingToDo;
        }

        if (existing.EnqueuedAt is { } enqueuedAt)
        {
            if (existing.ProcessedAt is not null || time.GetUtcNow() - enqueuedAt < StaleAfter)
            {
                return Verdict.NothingToDo;
            }

            // Queued hours ago and never processed: the message was lost (or its processing never got as far as
            // storing results). Processing is idempotent per call, so one more message is safe.
            logger.LogWarning("Call {CallId} was queued at {EnqueuedAt:o} but never processed; queueing it again", callId, enqueuedAt);
            await notifier.ResendAsync(callId, cancellationToken);
            metrics.WatchdogAction("resent");
            return Verdict.Resent;
        }

        var verdict = Verdict.Rescheduled;
        DateTimeOffset? claim = null;
        var call = await calls.UpdateAsync(callId, current =>
        {
            verdict = Verdict.Rescheduled;
            claim = null;
            if (current.EnqueuedAt is not null)
            {
                verdict = Verdict.NothingToDo;
                return false;
            }

            var now = time.GetUtcNow();
            var changed = false;
            if (current.CompletedAt is null && now - LastSignOfLife(current) >= StaleAfter)
            {
                current.ClosedByWatchdogAt = now;
                current.CompletedAt = LastEventTime(current) ?? current.Timestamp ?? now;
                changed = true;
            }

            if (CallStateMachine.TryClaimEnqueue(current, now))
            {
                claim = current.EnqueueClaimedAt;
                verdict = current.ClosedByWatchdogAt is not null ? Verdict.Closed : Verdict.Rescued;
                changed = true;
            }

            return changed;
        }, cancellationToken);

        switch (verdict)
        {
            case Verdict.Closed or Verdict.Rescued:
                await liveCalls.TrackAsync(call, cancellationToken); // a closed call is pending, no longer live
                logger.LogWarning("Call {CallId} from {Caller} was {What} by the watchdog", callId, E164.Mask(call.CallerNumber),
                    verdict == Verdict.Closed ? "closed without its final events" : "final but never queued; queued");
                await notifier.SendAsync(callId, claim!.Value, cancellationToken);
                metrics.WatchdogAction(verdict == Verdict.Closed ? "closed" : "rescued");
                if (verdict == Verdict.Closed)
                {
                    foreach (var hook in closedHooks ?? [])
                    {
                        await hook.OnClosedAsync(call, cancellationToken);
                    }
                }

                break;
            case Verdict.Rescheduled:
                // Due again when the call would turn stale, or when a fresh claim of another sender would go stale.
                var due = call.CompletedAt is null
                    ? LastSignOfLife(call) + StaleAfter - time.GetUtcNow()
                    : CallStateMachine.EnqueueClaimTimeout;
                await SendAsync(callId, due, cancellationToken);
                break;
        }

        return verdict;
    }

    /// <summary>The latest Vonage time the ledger holds for the call: where a call closed by the watchdog ends.</summary>
    public static DateTimeOffset? LastEventTime(CallRecord call) =>
        new[]
        {
            call.AnsweredAt, call.InboundStatusAt, call.InboundStartTime, call.InboundEndTime, call.AgentStatusAt,
            call.AgentAnsweredAt, call.AgentEndTime, call.RecordingEndTime,
        }.Max();

    /// <summary>When we last heard of the call: its latest event, or our latest write of its row.</summary>
    private static DateTimeOffset LastSignOfLife(CallRecord call) =>
        new[] { LastEventTime(call), call.Timestamp }.Max() ?? DateTimeOffset.MinValue;

    private Task SendAsync(string callId, TimeSpan delay, CancellationToken cancellationToken) =>
        SendAsync(new CallWatchdogMessage(callId), delay, cancellationToken);

    private async Task<SendReceipt> SendAsync(CallWatchdogMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        var visibility = delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : delay > MaxDelay ? MaxDelay : delay;
        return await _queue.SendMessageAsync(JsonSerializer.Serialize(message), visibility, cancellationToken: cancellationToken);
    }
}

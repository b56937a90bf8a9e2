using System.Threading.Channels;
using Azure.Storage.Queues.Models;
using CallTracking.Functions.Common;
using CallTracking.Functions.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Calls;

/// <summary>What the answer webhook knows about a call when it answers it.</summary>
public sealed record CallStart(
    string ConversationUuid,
    string? InboundLegUuid,
    string? CampaignId,
    string TrackingNumber,
    string? CallerNumber,
    string? AgentNumber,
    string Route,
    DateTimeOffset AnsweredAt);

/// <summary>
/// Writes each answered call's first state to the ledger so that unanswered calls are never invisible, off the
/// answer's response path: the answer enqueues to a bounded in-process channel (never blocks; under overload
/// the oldest entries are dropped and counted, the event webhook still creates those rows) and this hosted
/// service drains it. Only fields still null are set, since the event webhook writes the same row concurrently.
/// Each recorded start also schedules the call's <see cref="StaleCallWatchdog"/> check.
/// <para>
/// Throughput: each writer takes up to <see cref="BatchSize"/> waiting starts at once and writes them together: the
/// ledger rows as inserts (a read only when the row exists already and this instance has not seen it), then, side by
/// side, the live-index rows as one transaction per campaign and the watchdog checks as one message for the whole
/// batch (<see cref="WatchdogMessages"/>). Drops are counted in <see cref="Dropped"/>, in
/// <c>/api/health</c> and in the <c>calltracking.callstarts.dropped</c> metric.
/// </para>
/// </summary>
public sealed class CallStartRecorder : BackgroundService
{
    public const int Capacity = 10_000;

    /// <summary>Starts written together by one writer (the most a Table transaction holds).</summary>
    public const int BatchSize = 100;

    private const int Writers = 4;

    private readonly Channel<CallStart> _channel;
    private readonly CallStore _calls;
    private readonly StaleCallWatchdog _watchdog;
    private readonly LiveCallIndex _liveCalls;
    private readonly ILogger<CallStartRecorder> _logger;
    private readonly RecentCallRecords? _recent;
    private long _dropped;
    private long _written;

    public CallStartRecorder(CallStore calls, StaleCallWatchdog watchdog, LiveCallIndex liveCalls, ILogger<CallStartRecorder> logger,
        CallTrackingMetrics? metrics = null, RecentCallRecords? recent = null)
    {
        _recent = recent;
        _calls = calls;
        _watchdog = watchdog;
        _liveCalls = liveCalls;
        _logger = logger;
        _channel = Channel.CreateBounded<CallStart>(
            new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = false },
            _ =>
            {
                Interlocked.Increment(ref _dropped);
                metrics?.CallStartDropped();
            });
    }

    /// <summary>Calls dropped because the channel was full (storage far behind).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Call starts written to the ledger since the instance started.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Call starts waiting to be written.</summary>
    public int Pending => _channel.Reader.Count;

    /// <summary>Never blocks and never throws.</summary>
    public void Enqueue(CallStart start) => _channel.Writer.TryWrite(start);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var writers = new Task[Writers];
        for (var i = 0; i < writers.Length; i++)
        {
            writers[i] = Task.Run(() => DrainAsync(stoppingToken), CancellationToken.None);
        }

        return Task.WhenAll(writers);
    }

    private async Task DrainAsync(CancellationToken stoppingToken)
    {
        long reportedDrops = 0;
        var batch = new List<CallStart>(BatchSize);
        try
        {
            while (await _channel.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < BatchSize && _channel.Reader.TryRead(out var start))
                {
                    batch.Add(start);
                }

                if (batch.Count > 0)
                {
                    await WriteAsync(batch, stoppingToken);
                }

                var dropped = Dropped;
                if (dropped != reportedDrops)
                {
                    _logger.LogWarning("Call start queue overflowed: {Dropped} call starts dropped so far", dropped);
                    reportedDrops = dropped;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Attempts per start: the waits between them (1, 2, 4, 8, 8… s) outlast a storage restart of about a minute.</summary>
    internal const int MaxAttempts = 10;

    internal Task WriteAsync(CallStart start, CancellationToken cancellationToken) => WriteAsync([start], cancellationToken);

    /// <summary>
    /// Writes the starts; a failure is logged for the starts it concerns and never stops the others. Returns the
    /// receipts of the watchdog messages it queued (one per batch unless the ids need more, see <see cref="WatchdogMessages"/>).
    /// </summary>
    internal async Task<IReadOnlyList<SendReceipt>> WriteAsync(IReadOnlyList<CallStart> starts, CancellationToken cancellationToken)
    {
        var written = await Task.WhenAll(starts.Select(start => WriteCallAsync(start, cancellationToken)));
        var calls = written.OfType<CallRecord>().ToList();
        Interlocked.Add(ref _written, calls.Count);

        // The live index needs each row as written (a row that existed may be further on), the watchdog only that the
        // row exists (a check due before its row would find nothing and never come again): both wait for the inserts,
        // not for each other.
        var scheduling = WatchdogMessages.Split(calls.Select(call => call.PartitionKey).Distinct(StringComparer.Ordinal))
            .Select(message => ScheduleChecksAsync(message, cancellationToken))
            .ToList();
        try
        {
            await _liveCalls.TrackAllAsync(calls, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger.LogError(ex, "Could not index {Count} started calls as live", calls.Count);
        }

        return (await Task.WhenAll(scheduling)).OfType<SendReceipt>().ToList();
    }

    // Retried (like the watchdog message below) because nothing else schedules the call's watchdog: a start lost to a
    // storage outage left a call whose completion was lost too (the soak's Azurite restart hit it) open for good.
    private Task<CallRecord?> WriteCallAsync(CallStart start, CancellationToken cancellationToken) =>
        RetryAsync<CallRecord?>(async () =>
        {
            // Usually the first write of the call: an insert, without reading. The row exists already when an event
            // (or a retried answer) came first: then the read-modify-write that keeps what is there, straight away
            // when this instance wrote or read that row (UpdateAsync then writes its copy, ETag-conditional, unread)
            // instead of a refused insert and a read.
            if (_recent?.TryGet(start.ConversationUuid) is null)
            {
                var call = new CallRecord { PartitionKey = start.ConversationUuid };
                Apply(call, start);
                if (await _calls.TryAddAsync(call, cancellationToken))
                {
                    return call;
                }
            }

            return await _calls.UpdateAsync(start.ConversationUuid, current => Apply(current, start), cancellationToken);
        }, start.ConversationUuid, $"record the start of call {start.ConversationUuid} to {E164.Mask(start.TrackingNumber)}", cancellationToken);

    private Task<SendReceipt?> ScheduleChecksAsync(CallWatchdogMessage message, CancellationToken cancellationToken)
    {
        var callIds = message.AllCallIds();
        return RetryAsync<SendReceipt?>(
            async () => await _watchdog.ScheduleAsync(message, cancellationToken),
            callIds[0],
            callIds.Count == 1
                ? $"schedule the stale-call check of call {callIds[0]}"
                : $"schedule the stale-call checks of {callIds.Count} calls ({callIds[0]} … {callIds[^1]})",
            cancellationToken);
    }

    /// <summary>Every step is idempotent, so a failed one is simply done again, up to <see cref="MaxAttempts"/>; then logged, default returned.</summary>
    private async Task<T?> RetryAsync<T>(Func<Task<T>> step, string callId, string what, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await step();
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (attempt >= MaxAttempts)
                {
                    _logger.LogError(ex, "Could not {What}", what);
                    return default;
                }

                _logger.LogWarning("Call {CallId}: could not {What} ({Error}); trying again in {Delay}", callId, what, ex.GetType().Name, delay);
            }

            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(8).Ticks));
        }
    }

    /// <summary>Sets only what nobody has set yet; false when there is nothing to write.</summary>
    internal static bool Apply(CallRecord call, CallStart start)
    {
        var changed = false;
        Set(call.CampaignId, start.CampaignId, v => call.CampaignId = v, ref changed);
        Set(call.TrackingNumber, start.TrackingNumber, v => call.TrackingNumber = v, ref changed);
        if (call.CallerErasedAt is null)
        {
            Set(call.CallerNumber, start.CallerNumber, v => call.CallerNumber = v, ref changed);
        }

        Set(call.AgentNumber, start.AgentNumber, v => call.AgentNumber = v, ref changed);
        Set(call.Route, start.Route, v => call.Route = v, ref changed);
        Set(call.InboundLegUuid, start.InboundLegUuid, v => call.InboundLegUuid = v, ref changed);
        if (call.AnsweredAt is null)
        {
            call.AnsweredAt = start.AnsweredAt;
            changed = true;
        }

        return changed;
    }

    private static void Set(string? current, string? value, Action<string> assign, ref bool changed)
    {
        if (current is null && value is not null)
        {
            assign(value);
            changed = true;
        }
    }
}

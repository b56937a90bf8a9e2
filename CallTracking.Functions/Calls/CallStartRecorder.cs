using System.Threading.Channels;
using CallTracking.Functions.Common;
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
/// </summary>
public sealed class CallStartRecorder : BackgroundService
{
    public const int Capacity = 10_000;
    private const int Writers = 4;

    private readonly Channel<CallStart> _channel;
    private readonly CallStore _calls;
    private readonly StaleCallWatchdog _watchdog;
    private readonly LiveCallIndex _liveCalls;
    private readonly ILogger<CallStartRecorder> _logger;
    private long _dropped;

    public CallStartRecorder(CallStore calls, StaleCallWatchdog watchdog, LiveCallIndex liveCalls, ILogger<CallStartRecorder> logger)
    {
        _calls = calls;
        _watchdog = watchdog;
        _liveCalls = liveCalls;
        _logger = logger;
        _channel = Channel.CreateBounded<CallStart>(
            new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = false },
            _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>Calls dropped because the channel was full (storage far behind).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

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
        try
        {
            await foreach (var start in _channel.Reader.ReadAllAsync(stoppingToken))
            {
                await WriteAsync(start, stoppingToken);
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

    internal async Task WriteAsync(CallStart start, CancellationToken cancellationToken)
    {
        // Retried because nothing else schedules the call's watchdog: a start lost to a storage outage left a call whose
        // completion was lost too (the soak's Azurite restart hit it) open for good. Every step is idempotent.
        var delay = TimeSpan.FromSeconds(1);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var call = await _calls.UpdateAsync(start.ConversationUuid, call => Apply(call, start), cancellationToken);
                await _liveCalls.TrackAsync(call, cancellationToken);
                await _watchdog.ScheduleAsync(start.ConversationUuid, cancellationToken);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (attempt >= MaxAttempts)
                {
                    _logger.LogError(ex, "Could not record the start of call {CallId} to {TrackingNumber}",
                        start.ConversationUuid, E164.Mask(start.TrackingNumber));
                    return;
                }

                _logger.LogWarning("Recording the start of call {CallId} failed ({Error}); trying again in {Delay}",
                    start.ConversationUuid, ex.GetType().Name, delay);
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

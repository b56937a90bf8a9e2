using System.Diagnostics;

namespace CallTracking.Simulator;

/// <summary>
/// Hands out send slots at a fixed rate (open loop): slot n is due at start + n / rate, whatever happened to the
/// earlier requests. Callers get the due time so latency can be measured from it (no coordinated omission).
/// </summary>
public sealed class FixedRatePacer
{
    private readonly double _ticksPerSlot;
    private long _issued = -1;
    private long _start;

    public FixedRatePacer(double perSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        _ticksPerSlot = Stopwatch.Frequency / perSecond;
    }

    /// <summary>Waits for the next slot; returns its due time as a <see cref="Stopwatch"/> timestamp.</summary>
    public async ValueTask<long> WaitAsync(CancellationToken cancellationToken)
    {
        var slot = Interlocked.Increment(ref _issued);
        if (slot == 0)
        {
            Interlocked.CompareExchange(ref _start, Stopwatch.GetTimestamp(), 0);
        }

        while (Volatile.Read(ref _start) == 0)
        {
            await Task.Yield();
        }

        var due = Volatile.Read(ref _start) + (long)(slot * _ticksPerSlot);
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
        if (wait > TimeSpan.FromMilliseconds(1))
        {
            await Task.Delay(wait, cancellationToken);
        }

        return due;
    }
}

/// <summary>Latency samples (milliseconds) per request kind.</summary>
public sealed class LatencyRecorder
{
    private readonly Dictionary<string, List<double>> _samples = [];

    public void Add(string kind, double milliseconds)
    {
        lock (_samples)
        {
            if (!_samples.TryGetValue(kind, out var list))
            {
                _samples[kind] = list = [];
            }

            list.Add(milliseconds);
        }
    }

    public IReadOnlyDictionary<string, LatencySummary> Summarize()
    {
        lock (_samples)
        {
            return _samples.OrderBy(p => p.Key, StringComparer.Ordinal)
                .ToDictionary(p => p.Key, p => LatencySummary.From(p.Value));
        }
    }
}

public sealed record LatencySummary(int Count, double P50, double P90, double P99, double Max)
{
    public static LatencySummary From(IReadOnlyCollection<double> samples)
    {
        var sorted = samples.Order().ToArray();
        return new LatencySummary(sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.90), Percentile(sorted, 0.99),
            sorted.Length == 0 ? 0 : Math.Round(sorted[^1], 2));
    }

    /// <summary>Nearest-rank percentile.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : Math.Round(sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)], 2);
}

using System.Diagnostics;
using System.Globalization;
using CallTracking.ProcessingBench;

namespace CallTracking.IngestBench;

/// <summary>CPU time per process over a phase: host, worker, Azurite and this load generator (plus its stubs).</summary>
public sealed class CpuMeter(LocalHostProcess host, Process? azurite)
{
    public CpuSample Sample()
    {
        var (hostCpu, worker) = host.CpuTime();
        return new CpuSample(hostCpu, worker, CpuTime.Of(azurite), Process.GetCurrentProcess().TotalProcessorTime);
    }
}

public sealed record CpuSample(TimeSpan Host, TimeSpan Worker, TimeSpan Azurite, TimeSpan LoadGen)
{
    public static CpuSample operator -(CpuSample a, CpuSample b) =>
        new(a.Host - b.Host, a.Worker - b.Worker, a.Azurite - b.Azurite, a.LoadGen - b.LoadGen);

    public string Describe(int requests, TimeSpan elapsed)
    {
        string Per(TimeSpan cpu) => string.Create(CultureInfo.InvariantCulture,
            $"{cpu.TotalMilliseconds * 1000 / Math.Max(1, requests):F0} µs ({cpu.TotalSeconds / elapsed.TotalSeconds:F2} cores)");
        return $"CPU per request: host {Per(Host)}, worker {Per(Worker)}, Azurite {Per(Azurite)}, load generator {Per(LoadGen)}; " +
               $"load average {CpuTime.LoadAverage()}";
    }
}

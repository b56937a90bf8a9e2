using System.Diagnostics;
using BenchmarkDotNet.Running;
using CallTracking.Benchmarks;

if (args is ["cpu-time", ..])
{
    // On a shared machine wall-clock numbers mostly measure the neighbours: this mode reports CPU time per answer
    // (this process's user+system time over a fixed number of answers, on one thread), i.e. answers per core-second.
    var iterations = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
    var benchmark = new AnswerBenchmarks();
    benchmark.Setup();
    for (var i = 0; i < 100_000; i++)
    {
        await benchmark.Answer_cached_campaign();
    }

    var process = Process.GetCurrentProcess();
    var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    var cpuBefore = process.TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++)
    {
        await benchmark.Answer_cached_campaign();
    }

    wall.Stop();
    process.Refresh();
    var cpu = process.TotalProcessorTime - cpuBefore;
    var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    Console.WriteLine($"answers: {iterations:N0}; CPU time: {cpu.TotalMilliseconds:N0} ms ({iterations / cpu.TotalSeconds:N0} answers per CPU-second); " +
        $"wall: {wall.ElapsedMilliseconds:N0} ms; allocated: {allocated / (double)iterations:N0} B per answer");
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(AnswerBenchmarks).Assembly).Run(args);

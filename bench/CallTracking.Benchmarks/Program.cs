using System.Diagnostics;
using BenchmarkDotNet.Running;
using CallTracking.Benchmarks;
using CallTracking.IngestBench;
using CallTracking.LoadGen;
using CallTracking.ProcessingBench;
using CallTracking.ReportingBench;

// Every benchmark of bench/README.md, one subcommand each:
//   answer [cpu-time [answers] | BenchmarkDotNet arguments]   in-process answer path (BenchmarkDotNet or CPU time)
//   processing [calls] [concurrency]                          ProcessCompletedCall's service against Azurite and stubs
//   reporting [stats] [csv] [--connection <string>]           stats latency and CSV export against Azurite
//   ingest events|lag ...                                     event webhooks and sink lag through the local host
//   loadgen open|startup ...                                  open-loop HTTP load and host start-up timing
return args switch
{
    ["answer", .. var rest] => await AnswerAsync(rest),
    ["processing", .. var rest] => await ProcessingCommand.RunAsync(rest),
    ["reporting", .. var rest] => await ReportingCommand.RunAsync(rest),
    ["ingest", .. var rest] => await IngestCommand.RunAsync(rest),
    ["loadgen", .. var rest] => await LoadGenCommand.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: answer [cpu-time [answers] | BenchmarkDotNet arguments] | processing [calls] [concurrency] | " +
        "reporting [stats] [csv] [--connection <string>] | ingest events|lag ... | loadgen open|startup ...");
    return 2;
}

static async Task<int> AnswerAsync(string[] args)
{
    if (args is not ["cpu-time", ..])
    {
        BenchmarkSwitcher.FromAssembly(typeof(AnswerBenchmarks).Assembly).Run(args);
        return 0;
    }

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
    return 0;
}

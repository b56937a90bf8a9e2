using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Azure.Data.Tables;
using CallTracking.Functions.Calls;
using CallTracking.Simulator;

namespace CallTracking.IngestBench;

/// <summary>
/// POST /api/event through the local host, every request signed with a fresh token and verified (jti replay guard
/// on): first at a fixed open-loop rate, latency counted from each request's scheduled send time; then closed loop
/// with a fixed number of connections for the maximum sustainable rate. Calls are answered beforehand (not
/// measured), as on the real platform; queue triggers are off so the processor does not compete (see lag mode).
/// </summary>
public sealed class EventIngestion(BenchCalls bench, CpuMeter cpu, TableClient callsTable, StorageRequestLog storage)
{
    private const int Wave = 128; // calls whose events are interleaved: one call's events ~Wave/rate s apart

    public async Task RunAsync(int rate, int seconds, int closedSeconds, int connections, int seed)
    {
        var openEvents = rate * seconds;
        var closedBudget = 2 * 800 * closedSeconds; // two windows, each above what this box sustains (the run says when it ran out)

        // Each phase's calls are answered just before it, as live traffic's events follow their answer within
        // seconds: the instance's copy of recent call rows (RecentCallRecords) then holds them, as it would.
        var closedCalls = BenchCalls.Generate(closedBudget / 6 + Wave, seed, rate / 8.0);
        var openCalls = BenchCalls.Generate(openEvents / 6 + Wave, seed + 2, rate / 8.0);
        var calls = closedCalls.Concat(openCalls).ToList();
        var warmUp = BenchCalls.Generate(Wave, seed + 1, rate / 8.0);
        var closed = BenchCalls.InterleavedEvents(closedCalls, Wave);
        var open = BenchCalls.InterleavedEvents(openCalls, Wave).Take(openEvents).ToList();
        if (open.Count < openEvents)
        {
            throw new InvalidOperationException("Not enough generated events.");
        }

        var outcomes = calls.GroupBy(c => c.Connected.Outcome).OrderBy(g => g.Key)
            .Select(g => $"{g.Key} {g.Count()}");
        var statuses = closed.Concat(open).GroupBy(d => $"{d.Leg}/{d.Status}").OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} {g.Count()}");
        Console.WriteLine($"generated {calls.Count} calls ({string.Join(", ", outcomes)})");
        Console.WriteLine($"          {closed.Count + open.Count} events ({string.Join(", ", statuses)})");

        Console.WriteLine($"warm-up: {warmUp.Count} calls answered and their events posted (not measured)");
        await ClosedLoopAsync(warmUp.ToList(), 8, c => bench.AnswerAsync(c), HttpStatusCode.OK, TimeSpan.MaxValue);
        await ClosedLoopAsync(BenchCalls.InterleavedEvents(warmUp, Wave), 8, d => bench.PostAsync("api/event", d.Body), HttpStatusCode.NoContent,
            TimeSpan.MaxValue);

        await AnswerAllAsync(closedCalls, warmUp.Count + closedCalls.Count);

        // Closed loop first: bounded concurrency cannot leave a backlog behind for the open-loop run. Two windows: the
        // first still pays the worker's tier-up JIT (a one-off start cost), the second is the steady per-event cost.
        var half = closed.Count / 2;
        await ClosedWindowAsync("closed loop", "from the start: the JIT is still tiering up", closed.Take(half).ToList(), connections, closedSeconds);
        await ClosedWindowAsync("closed loop again", "steady", closed.Skip(half).ToList(), connections, closedSeconds);

        await bench.WaitUntilIdleAsync();
        Console.WriteLine();
        await AnswerAllAsync(openCalls, warmUp.Count + calls.Count);
        Console.WriteLine(FormattableString.Invariant($"== open loop: {rate} events/s for {seconds} s ({open.Count} events)"));
        var before = cpu.Sample();
        var logBefore = storage.Snapshot();
        var openResult = await OpenLoopAsync(open, rate);
        var used = cpu.Sample() - before;
        Console.WriteLine(FormattableString.Invariant(
            $"sent at {open.Count / openResult.SendTime.TotalSeconds:F0} events/s, all answered after {openResult.Elapsed.TotalSeconds:F1} s; {openResult.Failures} not 204 {openResult.FailureText}"));
        Console.WriteLine("latency from scheduled send: " + Percentiles.Line(openResult.Latencies));
        Console.WriteLine(used.Describe(open.Count, openResult.Elapsed));
        Console.WriteLine(StorageRequestLog.Describe(logBefore, storage.Snapshot(), open.Count));
    }

    private async Task AnswerAllAsync(IReadOnlyList<SimulatedCall> calls, int rowsExpected)
    {
        var answerClock = Stopwatch.StartNew();
        var answered = await ClosedLoopAsync(calls.ToList(), 16, c => bench.AnswerAsync(c), HttpStatusCode.OK, TimeSpan.MaxValue);
        Console.WriteLine(FormattableString.Invariant(
            $"answered {calls.Count} calls first (not measured): {answerClock.Elapsed.TotalSeconds:F1} s, {answered.Failures} failed"));
        // The answer writes each call's first state off its response path (CallStartRecorder): let that finish first.
        var rows = await WaitForCallRowsAsync(rowsExpected);
        Console.WriteLine(FormattableString.Invariant($"{rows} call rows written {answerClock.Elapsed.TotalSeconds:F1} s after the first answer"));
    }

    private async Task ClosedWindowAsync(string name, string note, List<Delivery> closed, int connections, int closedSeconds)
    {
        Console.WriteLine();
        Console.WriteLine($"== {name}: {connections} connections for {closedSeconds} s ({note})");
        var before = cpu.Sample();
        var logBefore = storage.Snapshot();
        var closedResult = await ClosedLoopAsync(closed, connections, d => bench.PostAsync("api/event", d.Body), HttpStatusCode.NoContent,
            TimeSpan.FromSeconds(closedSeconds));
        var used = cpu.Sample() - before;
        Console.WriteLine(FormattableString.Invariant(
            $"{closedResult.Latencies.Count} events in {closedResult.Elapsed.TotalSeconds:F1} s: {closedResult.Latencies.Count / closedResult.Elapsed.TotalSeconds:F0} events/s; {closedResult.Failures} not 204 {closedResult.FailureText}"));
        Console.WriteLine("latency: " + Percentiles.Line(closedResult.Latencies));
        Console.WriteLine(used.Describe(closedResult.Latencies.Count, closedResult.Elapsed));
        Console.WriteLine(StorageRequestLog.Describe(logBefore, storage.Snapshot(), closedResult.Latencies.Count));
        if (closedResult.Latencies.Count >= closed.Count)
        {
            Console.WriteLine("(ran out of generated events before the time was up: the rate above is a lower bound)");
        }
    }

    private async Task<int> WaitForCallRowsAsync(int expected)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var rows = 0;
            await foreach (var _ in callsTable.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RowKey eq {CallRecord.RowKeyValue}"), select: ["PartitionKey"]))
            {
                rows++;
            }

            if (rows >= expected || clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                return rows;
            }

            await Task.Delay(500);
        }
    }

    private async Task<LoadResult> OpenLoopAsync(List<Delivery> events, int rate)
    {
        var latencies = new double[events.Count];
        var failures = new ConcurrentDictionary<string, int>();
        var tasks = new List<Task>(events.Count);
        var tickToMs = 1000.0 / Stopwatch.Frequency;
        var clock = Stopwatch.StartNew();
        for (var sent = 0; sent < events.Count;)
        {
            var due = Math.Min(events.Count, (int)(clock.Elapsed.TotalSeconds * rate) + 1);
            for (; sent < due; sent++)
            {
                var index = sent;
                var scheduled = (long)(index * (double)Stopwatch.Frequency / rate);
                tasks.Add(Task.Run(async () =>
                {
                    await Send(() => bench.PostAsync("api/event", events[index].Body), HttpStatusCode.NoContent, failures);
                    latencies[index] = (clock.ElapsedTicks - scheduled) * tickToMs;
                }));
            }

            await Task.Delay(1);
        }

        var sendTime = clock.Elapsed;
        await Task.WhenAll(tasks);
        return new LoadResult(latencies, clock.Elapsed, failures) { SendTime = sendTime };
    }

    private static async Task<LoadResult> ClosedLoopAsync<T>(List<T> items, int connections, Func<T, Task<HttpStatusCode>> send,
        HttpStatusCode expected, TimeSpan duration)
    {
        var latencies = new ConcurrentQueue<double>();
        var failures = new ConcurrentDictionary<string, int>();
        var next = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                var index = Interlocked.Increment(ref next);
                if (index >= items.Count)
                {
                    return;
                }

                var started = Stopwatch.GetTimestamp();
                await Send(() => send(items[index]), expected, failures);
                latencies.Enqueue(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }));
        await Task.WhenAll(workers);
        return new LoadResult([.. latencies], clock.Elapsed, failures);
    }

    private static async Task Send(Func<Task<HttpStatusCode>> send, HttpStatusCode expected, ConcurrentDictionary<string, int> failures)
    {
        try
        {
            var status = await send();
            if (status != expected)
            {
                failures.AddOrUpdate(((int)status).ToString(CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            failures.AddOrUpdate(ex.GetType().Name, 1, (_, n) => n + 1);
        }
    }

    private sealed record LoadResult(IReadOnlyCollection<double> Latencies, TimeSpan Elapsed, ConcurrentDictionary<string, int> ByFailure)
    {
        public int Failures => ByFailure.Values.Sum();

        /// <summary>Open loop: when the last request was sent (the offered rate is met when this is ~ the run time).</summary>
        public TimeSpan SendTime { get; init; }

        public string FailureText => ByFailure.IsEmpty ? "" : "(" + string.Join(", ", ByFailure.Select(p => $"{p.Key}: {p.Value}")) + ")";
    }
}

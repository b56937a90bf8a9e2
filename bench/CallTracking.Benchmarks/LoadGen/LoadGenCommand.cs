using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace CallTracking.LoadGen;

/// <summary>The <c>loadgen</c> subcommand of CallTracking.Benchmarks (bench/README.md).</summary>
internal static class LoadGenCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        // Usage:
        //   open    <url> <requests per second> <seconds>   fixed-rate (open-loop) load; latency counted from each request's
        //                                                   scheduled start, so a stall is not hidden (no coordinated omission);
        //                                                   "{n}" in the url becomes the request's number (a new call each)
        //   startup <LocalHost.dll> <app dir> <path+query>  spawns the host and times spawn -> first 200 on the path
        //   rows    <storage connection string> <table>     counts a table's rows (the call-start writer's progress)
        var mode = args.ElementAtOrDefault(0);
        return mode switch
        {
            "open" when args.Length == 4 => await OpenLoop.RunAsync(new Uri(args[1]), int.Parse(args[2], CultureInfo.InvariantCulture),
                int.Parse(args[3], CultureInfo.InvariantCulture)),
            "startup" when args.Length == 4 => await Startup.RunAsync(args[1], args[2], args[3]),
            "rows" when args.Length == 3 => await CountRowsAsync(args[1], args[2]),
            _ => Usage(),
        };

        static int Usage()
        {
            Console.Error.WriteLine("usage: open <url> <rps> <seconds> | startup <LocalHost.dll> <app dir> <path?query> | rows <connection string> <table>");
            return 2;
        }
    }

    private static async Task<int> CountRowsAsync(string connectionString, string table)
    {
        var rows = 0;
        var client = new Azure.Data.Tables.TableClient(connectionString, table);
        await foreach (var _ in client.QueryAsync<Azure.Data.Tables.TableEntity>(select: ["PartitionKey"]))
        {
            rows++;
        }

        Console.WriteLine(rows.ToString(CultureInfo.InvariantCulture));
        return 0;
    }
}

internal static class OpenLoop
{
    public static async Task<int> RunAsync(Uri url, int rate, int seconds)
    {
        using var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
        });

        var run = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        Uri Numbered(string n) => new(url.OriginalString.Replace("{n}", run + "-" + n, StringComparison.Ordinal));

        // Warm-up: JIT on both sides, connections open.
        for (var i = 0; i < Math.Min(rate, 500); i++)
        {
            using var _ = await client.GetAsync(Numbered("w" + i.ToString(CultureInfo.InvariantCulture)));
        }

        var total = rate * seconds;
        var latencies = new double[total];
        var failures = 0;
        var tasks = new List<Task>(total);
        var clock = Stopwatch.StartNew();
        var tickToMs = 1000.0 / Stopwatch.Frequency;
        for (var sent = 0; sent < total;)
        {
            var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * rate) + 1);
            for (; sent < due; sent++)
            {
                var index = sent;
                var scheduled = (long)(index * (double)Stopwatch.Frequency / rate);
                tasks.Add(Task.Run(async () =>
                {
                    try
                    {
                        using var response = await client.GetAsync(Numbered(index.ToString(CultureInfo.InvariantCulture)), HttpCompletionOption.ResponseContentRead);
                        if (response.StatusCode != HttpStatusCode.OK)
                        {
                            Interlocked.Increment(ref failures);
                        }
                    }
                    catch (HttpRequestException)
                    {
                        Interlocked.Increment(ref failures);
                    }

                    latencies[index] = (clock.ElapsedTicks - scheduled) * tickToMs;
                }));
            }

            await Task.Delay(1);
        }

        await Task.WhenAll(tasks);
        var elapsed = clock.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        Console.WriteLine(FormattableString.Invariant(
            $"open loop {rate} req/s for {seconds} s: {total} requests, {failures} not 200, achieved {total / elapsed:F0} req/s"));
        Console.WriteLine(FormattableString.Invariant(
            $"latency ms: p50 {P(0.50):F2}  p90 {P(0.90):F2}  p99 {P(0.99):F2}  p99.9 {P(0.999):F2}  max {latencies[^1]:F2}"));
        return failures == 0 ? 0 : 1;
    }
}

internal static partial class Startup
{
    public static async Task<int> RunAsync(string hostDll, string appDirectory, string pathAndQuery)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { hostDll, "--port", port.ToString(CultureInfo.InvariantCulture), "--app", appDirectory, "--no-queues" })
        {
            info.ArgumentList.Add(arg);
        }

        string? workerReady = null;
        var timeline = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();
        using var host = Process.Start(info)!;
        host.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            // The start-up profile: when each phase's log line reached us, in ms after the host's spawn.
            if (line.Contains("App ", StringComparison.Ordinal) || line.Contains("Worker process started", StringComparison.Ordinal)
                || line.Contains("Worker ready", StringComparison.Ordinal) || line.Contains("Start-up:", StringComparison.Ordinal))
            {
                timeline.Enqueue(FormattableString.Invariant($"  {clock.ElapsedMilliseconds,6} ms  {line.Trim()[..Math.Min(line.Trim().Length, 160)]}"));
            }

            if (WorkerReady().Match(line) is { Success: true } m)
            {
                workerReady = m.Groups[1].Value;
            }
        };
        host.ErrorDataReceived += (_, _) => { };
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var url = new Uri($"http://127.0.0.1:{port}/{pathAndQuery.TrimStart('/')}");
        try
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(120))
            {
                try
                {
                    using var response = await client.GetAsync(url);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        var first = clock.Elapsed;
                        var body = await response.Content.ReadAsStringAsync();
                        Console.WriteLine(FormattableString.Invariant(
                            $"host spawn -> first 200 on /{pathAndQuery.TrimStart('/')}: {first.TotalMilliseconds:F0} ms (worker spawn -> all functions loaded: {workerReady ?? "?"} ms)"));
                        Console.WriteLine($"first body: {body[..Math.Min(body.Length, 200)]}");
                        Console.WriteLine("start-up profile (arrival of the host's log lines, ms after the host's spawn):");
                        foreach (var entry in timeline)
                        {
                            Console.WriteLine(entry);
                        }

                        Console.WriteLine(FormattableString.Invariant($"  {first.TotalMilliseconds,6:F0} ms  first 200"));
                        // The worker's own part: process start -> tables and queues ready (it connects right after), from health.
                        var health = await client.GetStringAsync(new Uri($"http://127.0.0.1:{port}/api/health"));
                        var startup = health.IndexOf("\"startup\"", StringComparison.Ordinal);
                        Console.WriteLine("  worker (health): " + (startup < 0 ? "no start-up timing in this version" : health[startup..].TrimEnd('}')));
                        return 0;
                    }
                }
                catch (HttpRequestException)
                {
                }

                if (host.HasExited)
                {
                    Console.Error.WriteLine("the host exited");
                    return 1;
                }

                await Task.Delay(5);
            }

            Console.Error.WriteLine("no 200 within 120 s");
            return 1;
        }
        finally
        {
            if (!host.HasExited)
            {
                host.Kill(entireProcessTree: true);
                await host.WaitForExitAsync();
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"functions loaded (\d+) ms after spawn")]
    private static partial Regex WorkerReady();
}

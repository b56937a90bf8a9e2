using System.Diagnostics;
using System.Globalization;
using System.Net;
using CallTracking.Tests.Infrastructure;

namespace CallTracking.IngestBench;

/// <summary>
/// The local Functions host (Release build) as its own process, as a developer runs it: its worker is a child
/// process, so the host tree's CPU time can be told apart from the load generator's and Azurite's.
/// </summary>
public sealed class LocalHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private LocalHostProcess(Process process, StreamWriter log, Uri baseAddress, string logFile)
    {
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
        LogFile = logFile;
    }

    public Uri BaseAddress { get; }

    public string LogFile { get; }

    public static async Task<LocalHostProcess> StartAsync(IReadOnlyDictionary<string, string> environment, bool queues)
    {
        var hostDll = RepositoryPaths.Combine("tools", "CallTracking.LocalHost", "bin", "Release", "net10.0", "CallTracking.LocalHost.dll");
        var appDirectory = RepositoryPaths.Combine("CallTracking.Functions", "bin", "Release", "net10.0");
        if (!File.Exists(hostDll) || !File.Exists(Path.Combine(appDirectory, "worker.config.json")))
        {
            throw new InvalidOperationException("Build the host and the app in Release first (bench/ingest-load.sh does).");
        }

        var port = FreePorts.Next();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(hostDll);
        info.ArgumentList.Add("--port");
        info.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--app");
        info.ArgumentList.Add(appDirectory);
        info.ArgumentList.Add("--settings");
        info.ArgumentList.Add(RepositoryPaths.Combine("local.settings.json.example"));
        if (!queues)
        {
            info.ArgumentList.Add("--no-queues");
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var logFile = Path.Combine(Path.GetTempPath(), $"ingest-bench-host-{Environment.ProcessId}.log");
        var log = new StreamWriter(logFile) { AutoFlush = false };
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the local host.");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var host = new LocalHostProcess(process, log, new Uri($"http://127.0.0.1:{port}/"), logFile);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(180))
        {
            if (process.HasExited)
            {
                await host.DisposeAsync();
                throw new InvalidOperationException($"The local host exited with {process.ExitCode}; see {logFile}.");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(host.BaseAddress, "api/health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return host;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        await host.DisposeAsync();
        throw new InvalidOperationException($"The local host did not answer /api/health within 180 s; see {logFile}.");
    }

    /// <summary>CPU time of the host and its worker (every descendant process).</summary>
    public (TimeSpan Host, TimeSpan Worker) CpuTime()
    {
        var host = ProcessCpu(_process.Id);
        var worker = Descendants(_process.Id).Aggregate(TimeSpan.Zero, (sum, pid) => sum + ProcessCpu(pid));
        return (host, worker);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            if (log.BaseStream.CanWrite)
            {
                log.WriteLine(line);
            }
        }
    }

    /// <summary>utime + stime from /proc/&lt;pid&gt;/stat (clock ticks of 1/100 s on Linux).</summary>
    private static TimeSpan ProcessCpu(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromMilliseconds(ticks * 10);
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            return TimeSpan.Zero;
        }
    }

    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
            {
            }
        }

        var result = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.TryDequeue(out var parent))
        {
            foreach (var (pid, ppid) in parents)
            {
                if (ppid == parent)
                {
                    result.Add(pid);
                    frontier.Enqueue(pid);
                }
            }
        }

        return result;
    }
}

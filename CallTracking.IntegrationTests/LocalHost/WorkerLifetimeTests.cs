using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.LocalHost;

/// <summary>The host run as its own process, as a developer runs it: the worker must never outlive it.</summary>
public partial class WorkerLifetimeTests
{
    [Fact]
    public async Task Killing_the_host_hard_leaves_no_worker_behind()
    {
        await using var run = await HostProcess.StartAsync();
        Assert.True(ProcessExists(run.WorkerPid), "the worker should be running while the host is");

        run.Process.Kill(entireProcessTree: false); // SIGKILL to the host alone: no clean-up code runs in it

        Assert.True(await WaitUntilAsync(() => !ProcessExists(run.WorkerPid), TimeSpan.FromSeconds(20)),
            $"worker {run.WorkerPid} is still running after its host was killed");
    }

    [Fact]
    public async Task Stopping_the_host_with_sigterm_stops_the_worker_and_exits_cleanly()
    {
        await using var run = await HostProcess.StartAsync();

        Assert.Equal(0, Kill(run.Process.Id, 15));

        Assert.True(await WaitUntilAsync(() => run.Process.HasExited, TimeSpan.FromSeconds(30)), "the host did not stop");
        Assert.Equal(0, run.Process.ExitCode);
        Assert.True(await WaitUntilAsync(() => !ProcessExists(run.WorkerPid), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_worker_crash_is_reported_and_the_host_exits_non_zero()
    {
        await using var run = await HostProcess.StartAsync();

        Assert.Equal(0, Kill(run.WorkerPid, 9));

        Assert.True(await WaitUntilAsync(() => run.Process.HasExited, TimeSpan.FromSeconds(30)), "the host kept running without a worker");
        await run.Process.WaitForExitAsync(); // drains the redirected output
        Assert.Equal(3, run.Process.ExitCode);
        Assert.Contains("worker process exited unexpectedly", run.Output, StringComparison.OrdinalIgnoreCase);
    }

    private static bool ProcessExists(int pid) => Directory.Exists($"/proc/{pid}") && !IsZombie(pid);

    private static bool IsZombie(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }

    private static int Kill(int pid, int signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {pid}");
        kill.WaitForExit();
        return kill.ExitCode;
    }

    /// <summary><c>dotnet CallTracking.LocalHost.dll --port 0 --no-queues</c>, read until it serves.</summary>
    private sealed partial class HostProcess : IAsyncDisposable
    {
        private readonly System.Text.StringBuilder _output = new();

        private HostProcess(Process process) => Process = process;

        public Process Process { get; }

        public int WorkerPid { get; private set; }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static async Task<HostProcess> StartAsync()
        {
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = FunctionsHostFixture.AppDirectory,
            };
            foreach (var arg in new[]
                     {
                         FunctionsHostFixture.LocalHostAssembly, "--port", "0", "--no-queues",
                         "--app", FunctionsHostFixture.AppDirectory,
                         "--settings", RepositoryPaths.Combine("local.settings.json.example"),
                     })
            {
                info.ArgumentList.Add(arg);
            }

            var run = new HostProcess(Process.Start(info)!);
            var ready = new TaskCompletionSource<(int Worker, string Url)>(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnLine(string? line)
            {
                if (line is null)
                {
                    return;
                }

                lock (run._output)
                {
                    run._output.AppendLine(line);
                }

                if (ListeningLine().Match(line) is { Success: true } match)
                {
                    ready.TrySetResult((int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups[1].Value));
                }
            }

            run.Process.OutputDataReceived += (_, e) => OnLine(e.Data);
            run.Process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            run.Process.BeginOutputReadLine();
            run.Process.BeginErrorReadLine();

            var started = await Task.WhenAny(ready.Task, run.Process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(90)));
            if (started != ready.Task)
            {
                await run.DisposeAsync();
                throw new InvalidOperationException("The host did not start. Output:\n" + run.Output);
            }

            var (worker, url) = ready.Task.Result;
            run.WorkerPid = worker;
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("api/health", UriKind.Relative))).StatusCode);
            return run;
        }

        public async ValueTask DisposeAsync()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }

            if (WorkerPid > 0 && Directory.Exists($"/proc/{WorkerPid}"))
            {
                try
                {
                    using var worker = Process.GetProcessById(WorkerPid);
                    worker.Kill();
                }
                catch (ArgumentException)
                {
                }
            }

            Process.Dispose();
        }

        [GeneratedRegex(@"Host listening on (http://\S+) \(worker pid (\d+)\)")]
        private static partial Regex ListeningLine();
    }
}

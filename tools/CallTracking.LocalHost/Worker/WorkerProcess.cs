using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace CallTracking.LocalHost.Worker;

/// <summary>How to start the worker: what worker.config.json says, plus the gRPC endpoint and ids.</summary>
public sealed record WorkerLaunch(
    string AppDirectory,
    Uri HostEndpoint,
    string WorkerId,
    IReadOnlyDictionary<string, string> Environment);

/// <summary>
/// The worker as a child process. It never outlives the host: the worker runs under a small shell watchdog
/// that holds the read end of a pipe whose write end only the host has (the watchdog's stdin). When the host
/// exits for any reason, even SIGKILL, the kernel closes that pipe, the watchdog reads end-of-file and kills
/// the worker. (PR_SET_PDEATHSIG would follow the spawning thread, not the process, so it is not used.)
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private const string PidMarker = "localhost-worker-pid=";

    // $1.. is the worker command line. SIGINT is ignored so a terminal Ctrl-C reaches only the host, which
    // shuts the worker down in order. fd 3 keeps the host's pipe for the watchdog.
    private const string WatchdogScript = """
        trap '' INT QUIT
        exec 3<&0
        "$@" </dev/null 3<&- &
        worker=$!
        echo "localhost-worker-pid=$worker"
        { read -r _ <&3; kill -KILL "$worker" 2>/dev/null; } &
        watchdog=$!
        exec 3<&-
        wait "$worker"
        status=$?
        kill "$watchdog" 2>/dev/null
        exit "$status"
        """;

    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _pidKnown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _recentOutput = new();

    private WorkerProcess(Process process, ILogger logger)
    {
        _process = process;
        _logger = logger;
    }

    /// <summary>Completes with the exit code when the worker has exited.</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>The worker's own process id (not the watchdog's), once known.</summary>
    public int? ProcessId => _pidKnown.Task.IsCompletedSuccessfully ? _pidKnown.Task.Result : null;

    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>The last lines the worker wrote to stdout/stderr (start-up crashes land there).</summary>
    public string RecentOutput
    {
        get
        {
            lock (_recentOutput)
            {
                return string.Join(Environment.NewLine, _recentOutput);
            }
        }
    }

    public static WorkerProcess Start(WorkerLaunch launch, ILogger logger)
    {
        var (executable, arguments) = ResolveCommand(launch.AppDirectory);
        var info = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = launch.AppDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(WatchdogScript);
        info.ArgumentList.Add("localhost-worker-watchdog");
        info.ArgumentList.Add(executable);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // The 2.x worker reads only the --functions-* switches; the max message length is mandatory in practice
        // (0 would make every message too large).
        foreach (var argument in new[]
                 {
                     "--functions-uri", launch.HostEndpoint.AbsoluteUri,
                     "--functions-worker-id", launch.WorkerId,
                     "--functions-request-id", Guid.NewGuid().ToString(),
                     "--functions-grpc-max-message-length", int.MaxValue.ToString(CultureInfo.InvariantCulture),
                 })
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in launch.Environment)
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process, logger);
        process.OutputDataReceived += (_, e) => worker.OnOutput(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => worker.OnOutput(e.Data, isError: true);
        process.Exited += (_, _) => worker.OnExited();
        worker.StartedAt = DateTimeOffset.UtcNow;
        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start the worker process");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Waits up to <paramref name="grace"/> for the worker to exit on its own, then kills it.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_exited.Task.IsCompleted)
        {
            try
            {
                await _exited.Task.WaitAsync(grace);
            }
            catch (TimeoutException)
            {
                _logger.LogWarning("Worker did not exit within {Grace}; killing it", grace);
            }
        }

        Kill();
        try
        {
            await _exited.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            _logger.LogError("Worker process {Pid} did not exit after being killed", ProcessId);
        }
    }

    /// <summary>Kills the worker now: closing the watchdog pipe kills it even if the process tree is gone.</summary>
    public void Kill()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _exited.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }

        _process.Dispose();
    }

    /// <summary>The command from worker.config.json (as the real host does), else <c>dotnet &lt;app&gt;.dll</c>.</summary>
    internal static (string Executable, IReadOnlyList<string> Arguments) ResolveCommand(string appDirectory)
    {
        string executable = "dotnet";
        string? workerPath = null;
        var config = Path.Combine(appDirectory, "worker.config.json");
        if (File.Exists(config))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(config));
            if (document.RootElement.TryGetProperty("description", out var description))
            {
                if (description.TryGetProperty("defaultExecutablePath", out var e) && e.GetString() is { Length: > 0 } exe)
                {
                    executable = exe;
                }

                if (description.TryGetProperty("defaultWorkerPath", out var w) && w.GetString() is { Length: > 0 } path)
                {
                    workerPath = path;
                }
            }
        }

        workerPath ??= Directory.EnumerateFiles(appDirectory, "*.deps.json")
            .Select(f => Path.GetFileName(f)[..^".deps.json".Length] + ".dll")
            .FirstOrDefault(dll => File.Exists(Path.Combine(appDirectory, dll)))
            ?? throw new InvalidOperationException($"No worker.config.json or app assembly in {appDirectory}");

        // Use the same dotnet that runs the host, so a worker never picks up another SDK's runtime.
        if (executable == "dotnet" && DotnetHost() is { } dotnet)
        {
            executable = dotnet;
        }

        return (executable, [Path.Combine(appDirectory, workerPath)]);
    }

    private static string? DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : null;
    }

    private void OnOutput(string? line, bool isError)
    {
        if (line is null)
        {
            return;
        }

        if (line.StartsWith(PidMarker, StringComparison.Ordinal)
            && int.TryParse(line.AsSpan(PidMarker.Length), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
        {
            _pidKnown.TrySetResult(pid);
            return;
        }

        lock (_recentOutput)
        {
            _recentOutput.Enqueue(line);
            while (_recentOutput.Count > 50)
            {
                _recentOutput.Dequeue();
            }
        }

        _logger.Log(isError ? LogLevel.Warning : LogLevel.Information, "[worker {Stream}] {Line}", isError ? "stderr" : "stdout", line);
    }

    private void OnExited()
    {
        int code;
        try
        {
            code = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            code = -1;
        }

        _pidKnown.TrySetResult(_process.Id);
        _exited.TrySetResult(code);
    }

    /// <summary>Waits until the worker's own pid has been reported by the watchdog.</summary>
    public Task<int> WaitForProcessIdAsync() => _pidKnown.Task;
}

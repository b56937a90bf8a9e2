using System.Diagnostics;
using CallTracking.LocalHost.Configuration;
using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Http;
using CallTracking.LocalHost.Queues;
using CallTracking.LocalHost.Rpc;
using CallTracking.LocalHost.Worker;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;

namespace CallTracking.LocalHost;

/// <summary>
/// A local Azure Functions host for one built app: starts the gRPC server, launches the real worker process,
/// performs the handshake (init → metadata → one load per function), then serves HTTP triggers and pumps queue
/// triggers. Stopping (or a worker crash) terminates the worker; it never outlives the host.
/// </summary>
public sealed class LocalFunctionsHost : IAsyncDisposable
{
    public const string HostVersion = "4.1040.0";
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource<string> _workerFailure = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private readonly LocalHostOptions _options;
    private WorkerRpcServer? _rpc;
    private WorkerChannel? _channel;
    private WorkerProcess? _worker;
    private HttpFrontEnd? _frontEnd;
    private readonly List<Task> _pumps = [];
    private int _disposed;

    private LocalFunctionsHost(LocalHostOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        _logger = loggerFactory.CreateLogger("Host");
    }

    public Uri BaseAddress => _frontEnd?.BaseAddress ?? throw new InvalidOperationException("The host has not started");

    public IReadOnlyList<FunctionDescriptor> Functions { get; private set; } = [];

    /// <summary>The functions the worker reported that the host refused (see <see cref="HostFunctionRules"/>).</summary>
    public IReadOnlyList<FunctionError> FunctionErrors { get; private set; } = [];

    public HostJson HostJson { get; private set; } = new();

    public LocalSettings Settings { get; private set; } = null!;

    public FunctionKeys Keys { get; private set; } = null!;

    /// <summary>The worker's own process id.</summary>
    public int WorkerProcessId { get; private set; }

    /// <summary>From spawning the worker to every function loaded.</summary>
    public TimeSpan WorkerStartup { get; private set; }

    /// <summary>Completes, with the reason, if the worker exits or drops its stream while the host runs.</summary>
    public Task<string> WorkerFailure => _workerFailure.Task;

    public IEnumerable<string> DescribeFunctions() => HttpTriggerRouter.Describe(Functions, HostJson.RoutePrefix, BaseAddress);

    public static async Task<LocalFunctionsHost> StartAsync(LocalHostOptions options, ILoggerFactory loggerFactory,
        CancellationToken cancellationToken = default)
    {
        var host = new LocalFunctionsHost(options, loggerFactory);
        try
        {
            await host.StartCoreAsync(loggerFactory, cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var appDirectory = Path.GetFullPath(_options.AppDirectory);
        if (!File.Exists(Path.Combine(appDirectory, "worker.config.json")))
        {
            throw new InvalidOperationException($"'{appDirectory}' is not a built Functions app (no worker.config.json). Build it first.");
        }

        Settings = LocalSettings.Load(_options.SettingsFile, appDirectory, _options.Settings);
        HostJson = HostJson.Load(appDirectory, Settings);
        Keys = FunctionKeys.Create(_options.RequireKeys, name => Settings[name]);
        _logger.LogInformation("App {AppDirectory}, settings from {Settings}", appDirectory, Settings.Source ?? "(no settings file)");

        // The worker is spawned as soon as the gRPC port listens, before the gRPC server is built: the worker's own
        // start (~1 s) then overlaps the host's, and its connection waits in the port's backlog until the server runs.
        _rpc = WorkerRpcServer.Listen();
        _channel = new WorkerChannel(Guid.NewGuid().ToString(), loggerFactory);
        _rpc.Workers.Add(_channel);

        var environment = new Dictionary<string, string>(Settings.Values, StringComparer.OrdinalIgnoreCase)
        {
            // The worker resolves its functions' assembly against this; without it every load fails.
            ["FUNCTIONS_APPLICATION_DIRECTORY"] = appDirectory,
        };
        environment.TryAdd("FUNCTIONS_WORKER_RUNTIME", "dotnet-isolated");
        if (Environment.GetEnvironmentVariable("AZURE_FUNCTIONS_ENVIRONMENT") is null)
        {
            environment.TryAdd("AZURE_FUNCTIONS_ENVIRONMENT", "Development");
        }

        var started = Stopwatch.StartNew();
        _worker = WorkerProcess.Start(new WorkerLaunch(appDirectory, _rpc.Endpoint, _channel.WorkerId, environment),
            loggerFactory.CreateLogger("Host.Worker"));
        AppDomain.CurrentDomain.ProcessExit += KillWorkerOnExit;
        await _rpc.StartAsync(loggerFactory, cancellationToken);

        using var startup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        startup.CancelAfter(_options.StartupTimeout);
        var first = await Task.WhenAny(_channel.Connected, _worker.Exited, Task.Delay(Timeout.Infinite, startup.Token));
        if (first != _channel.Connected || !_channel.Connected.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException(_worker.Exited.IsCompleted
                ? $"The worker exited during start-up with code {_worker.Exited.Result}. Its output:\n{_worker.RecentOutput}"
                : $"The worker did not connect within {_options.StartupTimeout}. Its output:\n{_worker.RecentOutput}");
        }

        WorkerProcessId = await _worker.WaitForProcessIdAsync();
        _logger.LogInformation("Worker process started (pid {Pid}), connected after {Elapsed} ms", WorkerProcessId,
            started.ElapsedMilliseconds);
        _ = MonitorWorkerAsync(_worker, _channel);

        var init = await _channel.RequestAsync(new StreamingMessage
        {
            WorkerInitRequest = new WorkerInitRequest
            {
                HostVersion = HostVersion,
                WorkerDirectory = appDirectory,
                FunctionAppDirectory = appDirectory,
            },
        }, HandshakeTimeout, startup.Token);
        EnsureSuccess(init.WorkerInitResponse?.Result, "Worker initialisation");

        var metadata = await _channel.RequestAsync(new StreamingMessage
        {
            FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = appDirectory },
        }, HandshakeTimeout, startup.Token);
        var metadataResponse = metadata.FunctionMetadataResponse;
        EnsureSuccess(metadataResponse?.Result, "Function indexing");
        if (metadataResponse!.UseDefaultMetadataIndexing)
        {
            throw new NotSupportedException("The worker asks the host to index functions.metadata; this host needs worker indexing (the SDK default).");
        }

        // As the real host: a function breaking one of its rules is in error, and is neither loaded nor served nor pumped.
        var index = HostFunctionRules.Index(metadataResponse.FunctionMetadataResults);
        FunctionErrors = index.Errors;
        foreach (var error in index.Errors)
        {
            _logger.LogError(FunctionError.LogTemplate, error.FunctionName, error.Message);
        }

        // One load per function (the worker ignores the collection message), each confirmed before any invocation.
        var loads = index.Functions.Select(async function =>
        {
            var reply = await _channel.RequestAsync(new StreamingMessage
            {
                FunctionLoadRequest = new FunctionLoadRequest { FunctionId = function.FunctionId, Metadata = function },
            }, HandshakeTimeout, startup.Token);
            EnsureSuccess(reply.FunctionLoadResponse?.Result, $"Loading function '{function.Name}'");
            return FunctionCatalog.Parse(function, name => Settings[name]);
        });
        Functions = await Task.WhenAll(loads);
        WorkerStartup = started.Elapsed;
        _logger.LogInformation("Worker ready: {Count} functions loaded {Elapsed} ms after spawn", Functions.Count,
            (int)WorkerStartup.TotalMilliseconds);

        var connections = new QueueConnections(name => Settings[name], HostJson.Queues.Base64);
        var outputs = new QueueOutputWriter(connections);
        _frontEnd = await HttpFrontEnd.StartAsync(_options.Port, Functions, HostJson.RoutePrefix, _channel, outputs, Keys,
            HostJson.FunctionTimeout, loggerFactory, cancellationToken);

        foreach (var function in Functions.Where(f => f.Queue is not null))
        {
            if (!_options.EnableQueueTriggers || !connections.IsConfigured(function.Queue!.Connection))
            {
                _logger.LogWarning("Queue trigger '{Function}' is not running: {Reason}", function.Name,
                    _options.EnableQueueTriggers ? $"the connection '{function.Queue!.Connection}' is not set" : "queue triggers are disabled");
                continue;
            }

            var pump = new QueuePump(function, connections, HostJson.Queues, _channel, outputs, HostJson.FunctionTimeout,
                loggerFactory.CreateLogger("Host.Queue"));
            _pumps.Add(Task.Run(() => pump.RunAsync(_stopping.Token), CancellationToken.None));
        }
    }

    private async Task MonitorWorkerAsync(WorkerProcess worker, WorkerChannel channel)
    {
        await Task.WhenAny(worker.Exited, channel.Closed);
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        // A dying worker drops its stream before its exit is reported (through the watchdog, later still on a busy
        // machine): wait for the exit long enough to say which it was. A live worker that drops its stream is rare.
        await Task.WhenAny(worker.Exited, Task.Delay(TimeSpan.FromSeconds(10)));
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        string reason;
        if (worker.Exited.IsCompleted)
        {
            reason = $"The worker process exited unexpectedly with code {worker.Exited.Result}.";
            var output = worker.RecentOutput;
            if (output.Length > 0)
            {
                reason += " Its last output:\n" + output;
            }
        }
        else
        {
            reason = "The worker closed its gRPC stream unexpectedly.";
        }

        _logger.LogCritical("{Reason}", reason);
        channel.Abort(reason);
        _workerFailure.TrySetResult(reason);
    }

    private static void EnsureSuccess(StatusResult? result, string step)
    {
        if (result?.Status == StatusResult.Types.Status.Success)
        {
            return;
        }

        var detail = result?.Exception is { } exception ? $"{exception.Type}: {exception.Message}" : result?.Result ?? "no result";
        throw new InvalidOperationException($"{step} failed: {detail}");
    }

    private void KillWorkerOnExit(object? sender, EventArgs e) => _worker?.Kill();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        AppDomain.CurrentDomain.ProcessExit -= KillWorkerOnExit;
        try
        {
            await Task.WhenAll(_pumps).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex)
        {
            _logger.LogWarning("Queue pumps did not stop cleanly: {Error}", ex.Message);
        }

        if (_frontEnd is not null)
        {
            await _frontEnd.DisposeAsync();
        }

        if (_worker is not null)
        {
            _channel?.TrySend(new StreamingMessage
            {
                WorkerTerminate = new WorkerTerminate { GracePeriod = Duration.FromTimeSpan(_options.ShutdownGracePeriod) },
            });
            await _worker.StopAsync(_options.ShutdownGracePeriod);
        }

        _channel?.Abort("The host is stopping");
        if (_rpc is not null)
        {
            await _rpc.DisposeAsync();
        }

        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }

        _stopping.Dispose();
    }
}

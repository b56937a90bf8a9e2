using System.Runtime.InteropServices;
using CallTracking.LocalHost;
using CallTracking.LocalHost.Configuration;
using Microsoft.Extensions.Logging;

// Exit codes: 0 stopped normally, 1 could not start, 2 bad arguments, 3 the worker failed while running.
LocalHostOptions options;
try
{
    options = CommandLine.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(CommandLine.Usage);
    return 2;
}

if (!File.Exists(Path.Combine(options.AppDirectory, "worker.config.json")))
{
    Console.Error.WriteLine($"No built Functions app at {options.AppDirectory}.");
    Console.Error.WriteLine("Build it first: dotnet build CallTracking.Functions (or pass --app <dir>).");
    return 1;
}

using var loggerFactory = LoggerFactory.Create(logging => logging
    .AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "HH:mm:ss.fff ";
    })
    .SetMinimumLevel(LogLevel.Information)
    .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
    .AddFilter("Grpc", LogLevel.Warning)
    .AddFilter("Microsoft.Hosting", LogLevel.Warning)
    .AddFilter("Azure", LogLevel.Warning));

using var shutdown = new CancellationTokenSource();
void RequestShutdown(PosixSignalContext context)
{
    context.Cancel = true;
    shutdown.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, RequestShutdown);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, RequestShutdown);

LocalFunctionsHost host;
try
{
    host = await LocalFunctionsHost.StartAsync(options, loggerFactory, shutdown.Token);
}
catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
{
    return 0;
}
catch (Exception ex)
{
    loggerFactory.CreateLogger("Host").LogCritical("The host could not start: {Error}", ex.Message);
    return 1;
}

await using (host)
{
    Console.WriteLine();
    Console.WriteLine("Functions:");
    Console.WriteLine();
    foreach (var line in host.DescribeFunctions())
    {
        Console.WriteLine($"        {line}");
    }

    Console.WriteLine();
    if (host.Keys.Required)
    {
        Console.WriteLine($"Keys are required: function key {host.Keys.FunctionKey}, master key {host.Keys.MasterKey}");
    }
    else
    {
        Console.WriteLine("Function and admin keys are not enforced locally (as with func start; --require-keys to enforce).");
    }

    Console.WriteLine($"Host listening on {host.BaseAddress} (worker pid {host.WorkerProcessId}). Press Ctrl+C to stop.");

    var stopped = await Task.WhenAny(host.WorkerFailure, Task.Delay(Timeout.Infinite, shutdown.Token).ContinueWith(_ => "", TaskScheduler.Default));
    if (stopped == host.WorkerFailure)
    {
        Console.Error.WriteLine("The worker failed; stopping the host.");
        return 3;
    }

    Console.WriteLine("Stopping...");
}

return 0;

using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Common;

/// <summary>
/// Creates the tables and queues before the worker serves its first invocation, without letting a storage outage
/// stop the app. The host calls every <see cref="IHostedLifecycleService.StartingAsync"/> before any
/// <see cref="IHostedService.StartAsync"/>, and the Functions worker connects to the host (and so receives
/// invocations) in its own hosted service's StartAsync: creation in StartingAsync therefore comes first. It waits
/// at most <see cref="StartupBudget"/>; if storage is down the worker starts anyway (health, the answer path's
/// fallback) and creation is retried in the background until it succeeds, while
/// <see cref="MissingStorageRecovery"/> covers any request that gets there first.
/// </summary>
public sealed class StorageInitializerService(StorageInitializer initializer, ILogger<StorageInitializerService> logger)
    : BackgroundService, IHostedLifecycleService
{
    /// <summary>How long start-up waits for storage: healthy storage answers in milliseconds, and waiting longer only delays the worker.</summary>
    public static readonly TimeSpan StartupBudget = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(15);

    /// <summary>How long creating (or finding) the tables and queues took at start-up; null until it succeeded.</summary>
    public long? StorageMilliseconds { get; private set; }

    /// <summary>From the process's start to the end of that phase (runtime start, DI, storage); null until it succeeded.</summary>
    public long? ReadyAfterProcessStartMilliseconds { get; private set; }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(StartupBudget);
        var clock = Stopwatch.StartNew();
        try
        {
            await initializer.EnsureCreatedAsync(budget.Token);

            // The cold start's storage phase, and how long the process took to get here: in /api/health (the host drops
            // a worker's logs outside invocations) and one line for Application Insights.
            StorageMilliseconds = clock.ElapsedMilliseconds;
            ReadyAfterProcessStartMilliseconds = (long)(DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
            logger.LogInformation("Start-up: tables and queues ready in {Elapsed} ms, {SinceProcessStart} ms after the process started",
                StorageMilliseconds, ReadyAfterProcessStartMilliseconds);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Not fatal: retried in the background (ExecuteAsync), and on demand by the requests that need storage.
            logger.LogWarning(ex, "Could not create tables and queues within {Budget} s of start-up; retrying in the background",
                StartupBudget.TotalSeconds);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var delay = FirstRetryDelay; !initializer.IsCreated; delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay)
        {
            try
            {
                await initializer.EnsureCreatedAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Could not create tables and queues; retrying in {Delay} s", delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken);
            }
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

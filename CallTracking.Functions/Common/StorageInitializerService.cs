using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Common;

/// <summary>
/// Creates (or finds) the tables, queues and blob container at start-up, in the background: the worker connects to
/// the host and serves invocations meanwhile, so the ~0.2 s of creation is off the cold start's critical path. Nothing
/// fails or is lost for it: a request that gets to a table or queue before it exists (only on a fresh or reset account,
/// where there is nothing to read yet) meets 404 TableNotFound/QueueNotFound, and <see cref="MissingStorageRecovery"/>
/// has it wait for this same run and send it again. If storage is down the first attempt gives up waiting after
/// <see cref="StartupBudget"/> (it is only logged) and creation is retried in the background until it succeeds.
/// </summary>
public sealed class StorageInitializerService(StorageInitializer initializer, ILogger<StorageInitializerService> logger)
    : BackgroundService, IHostedLifecycleService
{
    /// <summary>How long the first attempt waits for storage before leaving creation to the background retries (and the warning to the log).</summary>
    public static readonly TimeSpan StartupBudget = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(15);

    /// <summary>How long creating (or finding) the tables and queues took at start-up; null until it succeeded.</summary>
    public long? StorageMilliseconds { get; private set; }

    /// <summary>From the process's start to the end of that phase (runtime start, DI, storage); null until it succeeded.</summary>
    public long? ReadyAfterProcessStartMilliseconds { get; private set; }

    // The first attempt, started in StartingAsync (the earliest hook, before any hosted service's StartAsync) and
    // awaited only by the background retries.
    private Task _firstAttempt = Task.CompletedTask;

    // Not tied to the start's token (the host disposes it once started): the wait is bounded by the budget, and the
    // run itself is never cancelled.
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _firstAttempt = Task.Run(FirstAttemptAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task FirstAttemptAsync()
    {
        using var budget = new CancellationTokenSource(StartupBudget);
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
        catch (Exception ex)
        {
            // Not fatal: retried in the background (ExecuteAsync), and on demand by the requests that need storage.
            logger.LogWarning(ex, "Could not create tables and queues within {Budget} s of start-up; retrying in the background",
                StartupBudget.TotalSeconds);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await _firstAttempt;
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

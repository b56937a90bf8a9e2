using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Common;

/// <summary>Starts table and queue creation at start-up without delaying the worker's readiness.</summary>
public sealed class StorageInitializerService(StorageInitializer initializer, ILogger<StorageInitializerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await initializer.EnsureCreatedAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not fatal: each store retries creation on first use; the answer path falls back safely.
            logger.LogWarning(ex, "Could not create tables and queues at start-up; will retry on first use");
        }
    }
}

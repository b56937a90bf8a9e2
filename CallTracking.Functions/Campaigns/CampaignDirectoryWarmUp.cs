using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Campaigns;

/// <summary>
/// Warms the answer path at start-up, in the background: one query of the campaigns table fills the
/// <see cref="CampaignDirectory"/> and opens the Table client's connection, so a cold instance's first answer is a cache
/// hit instead of its first storage request. Started in StartingAsync, alongside storage creation, while the worker
/// connects to the host; on a fresh account the query waits for that creation (<c>MissingStorageRecovery</c>).
/// Best effort: if it fails, the first lookups read storage as before.
/// </summary>
public sealed class CampaignDirectoryWarmUp(CampaignDirectory directory, ILogger<CampaignDirectoryWarmUp> logger) : IHostedLifecycleService
{
    /// <summary>A warm-up that has not finished by then is of no use to the first calls.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(WarmAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task WarmAsync()
    {
        try
        {
            using var budget = new CancellationTokenSource(Budget);
            await directory.PreloadAsync(budget.Token);
        }
        catch (Exception ex)
        {
            logger.LogInformation("Start-up: could not pre-load the campaigns ({Error}); the first lookups read storage", ex.Message);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

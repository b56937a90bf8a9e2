using System.Text.Json.Serialization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Common;

/// <summary>
/// A setting a feature needs but did not get, named as in configuration (<c>Vonage:SignatureSecret</c>; never its
/// value), and what the app does without it.
/// </summary>
public sealed record SettingProblem(
    [property: JsonPropertyName("setting")] string Setting,
    [property: JsonPropertyName("effect")] string Effect);

/// <summary>A feature that runs degraded, rather than stopping the app, when one of its settings is missing.</summary>
public interface ISettingsCheck
{
    IEnumerable<SettingProblem> Problems();
}

/// <summary>
/// Why the app is degraded. A missing secret (never set, or a Key Vault reference the platform could not resolve)
/// must not stop the worker: that would take down every function, health and the queue triggers included, for a
/// setting only some of them need. Each feature reports what it lacks instead; <c>GET /api/health</c> names it and
/// start-up logs it once, as an error.
/// </summary>
public sealed class SettingsHealth(IEnumerable<ISettingsCheck> checks, ILogger<SettingsHealth> logger) : IHostedService
{
    // Settings do not change while the worker runs (a change restarts it), so one look is enough.
    private readonly Lazy<IReadOnlyList<SettingProblem>> _problems = new(() => checks.SelectMany(c => c.Problems()).ToList());

    public IReadOnlyList<SettingProblem> Problems => _problems.Value;

    public bool IsDegraded => Problems.Count > 0;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var problem in Problems)
        {
            logger.LogError("App setting {Setting} is missing or unusable; running degraded: {Effect}",
                problem.Setting.Replace(":", "__", StringComparison.Ordinal), problem.Effect);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Lets one log entry through per interval: a misconfiguration met by every request must not flood the logs.</summary>
public sealed class LogThrottle(TimeProvider time, TimeSpan interval)
{
    private long _nextTicks = long.MinValue;

    public bool ShouldLog()
    {
        var now = time.GetUtcNow().UtcTicks;
        var next = Interlocked.Read(ref _nextTicks);
        return now >= next && Interlocked.CompareExchange(ref _nextTicks, now + interval.Ticks, next) == next;
    }
}

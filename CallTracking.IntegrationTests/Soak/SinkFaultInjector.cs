using System.Collections.Concurrent;
using CallTracking.Tests.Infrastructure;

namespace CallTracking.Tests.Soak;

/// <summary>
/// Makes the stub sinks misbehave for periods: HTTP 500s, 429s with Retry-After, and answers slower than the
/// sinks' per-attempt timeout. Each route runs the same cycle from its own starting phase, so faults overlap.
/// </summary>
public sealed class SinkFaultInjector(HttpStubServer stub, IReadOnlyList<(string Method, string Path, StubResponse Healthy)> routes,
    TimeSpan slowerThanTimeout) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _phases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _down = new(StringComparer.Ordinal);
    private Task? _loop;

    public IReadOnlyDictionary<string, int> PhasesStarted => _phases;

    private (string Name, TimeSpan Length, Func<StubResponse, StubResponse?> Make)[] Cycle =>
    [
        ("healthy", TimeSpan.FromSeconds(2), _ => null),
        ("http500", TimeSpan.FromSeconds(1.5), _ => new StubResponse(500, "{\"error\":\"injected\"}")),
        ("healthy", TimeSpan.FromSeconds(2), _ => null),
        ("http429", TimeSpan.FromSeconds(1.5), _ => StubResponse.RetryAfter(1)),
        ("healthy", TimeSpan.FromSeconds(2), _ => null),
        ("timeout", TimeSpan.FromSeconds(1.5), healthy => healthy with { Delay = slowerThanTimeout }),
    ];

    /// <summary>Takes one route down (HTTP 503 on every request) until <see cref="Restore"/>, whatever its cycle says.</summary>
    public void TakeDown(string path)
    {
        _down[path] = true;
        _phases.AddOrUpdate("outage", 1, (_, n) => n + 1);
        foreach (var route in routes.Where(r => r.Path == path))
        {
            stub.On(route.Method, route.Path, Outage);
        }
    }

    public void Restore(string path) => _down.TryRemove(path, out _);

    private static StubResponse Outage => new(503, "{\"error\":\"injected outage\"}");

    public void Start() => _loop = Task.WhenAll(routes.Select((route, i) => RunAsync(route, i, _stop.Token)));

    private async Task RunAsync((string Method, string Path, StubResponse Healthy) route, int offset, CancellationToken stop)
    {
        var cycle = Cycle;
        for (var step = offset * 2; !stop.IsCancellationRequested; step++)
        {
            var (name, length, make) = cycle[step % cycle.Length];
            var down = _down.ContainsKey(route.Path);
            stub.On(route.Method, route.Path, down ? Outage : make(route.Healthy) ?? route.Healthy);
            if (name != "healthy" && !down)
            {
                _phases.AddOrUpdate(name, 1, (_, n) => n + 1);
            }

            try
            {
                await Task.Delay(length, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        stub.On(route.Method, route.Path, route.Healthy);
    }

    /// <summary>Ends the faults; every route answers healthily from now on.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}

namespace CallTracking.Tests.Infrastructure;

/// <summary>
/// An Azurite that keeps its data in a temporary folder, so a test can restart it and find its data again. The app
/// reaches it through a <see cref="TcpRelay"/> per service: a restart first cuts the app off (as a network outage
/// would), lets requests already inside Azurite finish, then stops Azurite gracefully. Without the cut, Azurite
/// answers a few requests while it closes and its final save can miss them: acknowledged writes lost, which real
/// Azure Storage never does (a soak run lost four acknowledged calls-completed messages that way).
/// </summary>
public sealed class PersistentAzuriteFixture() : AzuriteFixture(persistToDisk: true)
{
    private readonly Dictionary<int, int> _internalPorts = new();
    private readonly List<TcpRelay> _relays = [];

    protected override int ListenPort(int port)
    {
        lock (_internalPorts)
        {
            return _internalPorts.TryGetValue(port, out var inner) ? inner : _internalPorts[port] = FreePorts.Next();
        }
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        ConnectRelays();
    }

    public override async Task DisposeAsync()
    {
        await CutRelaysAsync();
        await base.DisposeAsync();
    }

    public override async Task RestartAsync()
    {
        await CutRelaysAsync();
        await Task.Delay(TimeSpan.FromSeconds(2)); // requests Azurite had already read finish and are saved below
        await StopGracefullyAsync(TimeSpan.FromSeconds(60));
        await StartAsync();
        ConnectRelays();
    }

    private void ConnectRelays()
    {
        foreach (var port in new[] { BlobPort, QueuePort, TablePort })
        {
            var relay = new TcpRelay(port, ListenPort(port));
            relay.Start();
            _relays.Add(relay);
        }
    }

    private async Task CutRelaysAsync()
    {
        foreach (var relay in _relays)
        {
            await relay.CutAsync();
        }

        _relays.Clear();
    }
}

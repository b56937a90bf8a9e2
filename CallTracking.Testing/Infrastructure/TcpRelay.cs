using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace CallTracking.Tests.Infrastructure;

/// <summary>
/// A loopback TCP relay in front of one Azurite port, so a test can cut the app off from storage (a network
/// partition: every open connection reset, new ones refused) while Azurite itself is restarted behind it.
/// </summary>
public sealed class TcpRelay(int listenPort, int targetPort) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<TcpClient, byte> _connections = new();
    private TcpListener? _listener;
    private CancellationTokenSource? _accepting;
    private Task? _acceptLoop;

    public void Start()
    {
        _listener = new TcpListener(IPAddress.Loopback, listenPort);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _accepting = new CancellationTokenSource();
        _acceptLoop = AcceptAsync(_listener, _accepting.Token);
    }

    /// <summary>Refuses new connections and resets every open one: requests in flight fail and are retried by the client.</summary>
    public async Task CutAsync()
    {
        if (_accepting is not null)
        {
            await _accepting.CancelAsync();
        }

        _listener?.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }

        foreach (var client in _connections.Keys)
        {
            try
            {
                client.Client?.LingerState = new LingerOption(true, 0); // RST, not a graceful FIN
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already closed.
            }

            client.Dispose();
        }

        _connections.Clear();
        _accepting?.Dispose();
        _accepting = null;
        _listener = null;
    }

    public async ValueTask DisposeAsync() => await CutAsync();

    private async Task AcceptAsync(TcpListener listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await listener.AcceptTcpClientAsync(stop);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(inbound);
        }
    }

    private async Task RelayAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        _connections[inbound] = 0;
        _connections[outbound] = 0;
        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, targetPort);
            var a = inbound.GetStream();
            var b = outbound.GetStream();
            await Task.WhenAny(a.CopyToAsync(b), b.CopyToAsync(a));
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // A cut or a closed peer: the other side sees the connection end.
        }
        finally
        {
            _connections.TryRemove(inbound, out _);
            _connections.TryRemove(outbound, out _);
            inbound.Dispose();
            outbound.Dispose();
        }
    }
}

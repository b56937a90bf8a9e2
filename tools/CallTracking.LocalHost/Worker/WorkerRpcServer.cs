using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CallTracking.LocalHost.Worker;

/// <summary>
/// The private side: a gRPC server (HTTP/2 without TLS) on a free loopback port that workers connect to.
/// <see cref="Listen"/> opens the port at once, so the worker can be spawned before the gRPC server is built: its
/// connection waits in the socket's backlog until <see cref="StartAsync"/> hands the socket to Kestrel (the cold
/// start then overlaps the host's own start with the worker's).
/// </summary>
public sealed class WorkerRpcServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private WebApplication? _app;

    private WorkerRpcServer(Socket listener)
    {
        _listener = listener;
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri Endpoint { get; }

    public WorkerChannelRegistry Workers { get; } = new();

    /// <summary>Binds and listens on a free loopback port; nothing is served until <see cref="StartAsync"/>.</summary>
    public static WorkerRpcServer Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(512);
            return new WorkerRpcServer(listener);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    public async Task StartAsync(ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        // A stream still open at shutdown would otherwise hold Kestrel for the default 30 s.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.Services.AddSingleton(Workers);
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = null;
            o.MaxSendMessageSize = null;
            o.EnableDetailedErrors = true;
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ListenHandle((ulong)_listener.Handle, listen => listen.Protocols = HttpProtocols.Http2);
        });

        var app = builder.Build();
        app.MapGrpcService<WorkerRpcService>();
        try
        {
            await app.StartAsync(cancellationToken);
            _app = app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        finally
        {
            // Kestrel owns the descriptor from here on and closes it when it stops: ours must not close it a second time.
            _listener.SafeHandle.SetHandleAsInvalid();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null)
        {
            // Never started (or failed to): a no-op once Kestrel took the descriptor.
            _listener.Dispose();
            return;
        }

        try
        {
            await _app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}

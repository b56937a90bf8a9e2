using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace CallTracking.Simulator;

/// <summary>
/// The simulator's own tiny Voice REST API: the app's hold queue transfers a waiting caller with
/// <c>PUT /v1/calls/{uuid}</c> (point the app's <c>Vonage__VoiceApiBaseUrl</c> here); each is recorded, in order, and
/// answered 204, so the simulator can play the transferred leg. Anything else is 404.
/// </summary>
public sealed class SimVoiceApi : IAsyncDisposable
{
    private const string CallsPath = "/v1/calls/";
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<VoiceApiTransfer> _transfers = new();
    private readonly Task _loop;

    private SimVoiceApi(int port)
    {
        BaseUrl = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(BaseUrl + "/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string BaseUrl { get; }

    /// <summary>Every transfer received, in arrival order (a leg transferred twice appears twice).</summary>
    public IReadOnlyList<VoiceApiTransfer> Transfers => _transfers.ToArray();

    /// <param name="port">0 for a free port.</param>
    public static SimVoiceApi Start(int port = 0) => new(port == 0 ? FreePort() : port);

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }

            using var response = context.Response;
            var path = context.Request.Url?.AbsolutePath ?? "";
            if (context.Request.HttpMethod == "PUT" && path.StartsWith(CallsPath, StringComparison.Ordinal) && path.Length > CallsPath.Length)
            {
                using var reader = new StreamReader(context.Request.InputStream);
                var body = await reader.ReadToEndAsync();
                _transfers.Enqueue(new VoiceApiTransfer(Uri.UnescapeDataString(path[CallsPath.Length..]), body));
                response.StatusCode = 204;
            }
            else
            {
                response.StatusCode = 404;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}

/// <summary>One <c>PUT /v1/calls/{leg}</c>: the leg's uuid and the request body (the transfer NCCO).</summary>
public sealed record VoiceApiTransfer(string Leg, string Body);

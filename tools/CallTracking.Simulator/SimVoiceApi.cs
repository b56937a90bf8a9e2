using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace CallTracking.Simulator;

/// <summary>
/// The simulator's own tiny Voice REST API, as Vonage answers it (point the app's one <c>Vonage__VoiceApiBaseUrl</c>
/// here): the app's hold queue transfers a waiting caller with <c>PUT /v1/calls/{uuid}</c>; each is recorded, in order,
/// and answered 204, so the simulator can play the transferred leg. The app places missed-call callback attempts with
/// <c>POST /v1/calls</c>, handed to <see cref="Callbacks"/>. <c>GET /v1/files/{id}</c> serves a small recording:
/// once the app has application credentials its archiver downloads every recording through the same client (one
/// circuit breaker) as the transfers, so the simulated recordings must be fetchable here (see
/// <see cref="RecordingBaseUrl"/>). Anything else is 404.
/// </summary>
public sealed class SimVoiceApi : IAsyncDisposable
{
    private const string CallsPath = "/v1/calls/";
    private const string FilesPath = "/v1/files/";

    /// <summary>An MP3 frame header and silence: enough for the archiver to store a blob of audio/mpeg.</summary>
    private static readonly byte[] Recording = [0xFF, 0xFB, 0x90, 0x64, .. new byte[413]];

    private int _downloads;
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

    /// <summary>Answers and plays the callback attempts (<c>POST /v1/calls</c>); give it a player to play them.</summary>
    public SimCallbackVoiceApi Callbacks { get; } = new();

    /// <summary>Where the simulated calls' recordings live here (<c>recording_url</c> = this + file id).</summary>
    public string RecordingBaseUrl => BaseUrl + FilesPath;

    /// <summary>Recordings downloaded so far.</summary>
    public int RecordingDownloads => Volatile.Read(ref _downloads);

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
            // No keep-alive: HttpListener may drop an idle pooled connection just as the app reuses it, which the app must
            // (and does) take for "maybe placed / maybe transferred"; the simulator should not provoke that.
            response.KeepAlive = false;
            try
            {
                await HandleAsync(context);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // One bad request must not stop the endpoint; the app sees a 500 (and does not retry it blindly).
                await Console.Error.WriteLineAsync($"Simulator Voice API: {ex.GetType().Name}: {ex.Message}");
                response.StatusCode = 500;
            }
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var response = context.Response;
        var path = context.Request.Url?.AbsolutePath ?? "";
        if (context.Request.HttpMethod == "POST" && path.TrimEnd('/') == SimCallbackVoiceApi.CreateCallPath)
        {
            await Callbacks.HandleCreateCallAsync(context);
        }
        else if (context.Request.HttpMethod == "PUT" && path.StartsWith(CallsPath, StringComparison.Ordinal) && path.Length > CallsPath.Length)
        {
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            _transfers.Enqueue(new VoiceApiTransfer(Uri.UnescapeDataString(path[CallsPath.Length..]), body,
                context.Request.Headers["Authorization"]));
            response.StatusCode = 204;
        }
        else if (context.Request.HttpMethod == "GET" && path.StartsWith(FilesPath, StringComparison.Ordinal) && path.Length > FilesPath.Length)
        {
            Interlocked.Increment(ref _downloads);
            response.StatusCode = 200;
            response.ContentType = "audio/mpeg";
            response.ContentLength64 = Recording.Length;
            await response.OutputStream.WriteAsync(Recording);
        }
        else
        {
            response.StatusCode = 404;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
        await Callbacks.WhenPlayedAsync();
    }
}

/// <summary>One <c>PUT /v1/calls/{leg}</c>: the leg's uuid, the request body (the transfer NCCO) and its Authorization header.</summary>
public sealed record VoiceApiTransfer(string Leg, string Body, string? Authorization = null);

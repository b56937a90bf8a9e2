using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CallTracking.Tests.Infrastructure;

/// <summary>
/// A local Kestrel server on 127.0.0.1 (free port) standing in for a third-party HTTP API: records every request
/// and answers from responses programmed per method and path, in sequence (the last one repeats).
/// Routes not programmed answer from <see cref="OnAny"/>'s sequence when set, else 404. Thread-safe.
/// </summary>
public sealed class HttpStubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, ResponseSequence> _routes = new(StringComparer.OrdinalIgnoreCase);

    private HttpStubServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>e.g. http://127.0.0.1:54321 (no trailing slash).</summary>
    public string BaseUrl { get; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>
    /// Answers from state (e.g. a modelled API resource) before <see cref="OnAny"/>; routes programmed with
    /// <see cref="On"/> come first. Returns null to fall through.
    /// </summary>
    public Func<RecordedRequest, StubResponse?>? Responder { get; set; }

    public static async Task<HttpStubServer> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        var app = builder.Build();
        HttpStubServer? server = null;
        app.Run(context => server!.HandleAsync(context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server = new HttpStubServer(app, address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/'));
        return server;
    }

    /// <summary>Programs <paramref name="method"/> <paramref name="path"/>: one response per request in order, the last repeating.</summary>
    public HttpStubServer On(string method, string path, params StubResponse[] responses)
    {
        if (responses.Length == 0)
        {
            throw new ArgumentException("At least one response.", nameof(responses));
        }

        _routes[Key(method, path)] = new ResponseSequence(responses);
        return this;
    }

    /// <summary>Programs the answer to every route not programmed with <see cref="On"/> (a single-endpoint API).</summary>
    public HttpStubServer OnAny(params StubResponse[] responses) => On("*", "*", responses);

    public IReadOnlyList<RecordedRequest> RequestsTo(string path, string method = "POST") =>
        Requests.Where(r => string.Equals(r.Path, path, StringComparison.OrdinalIgnoreCase)
            && string.Equals(r.Method, method, StringComparison.OrdinalIgnoreCase)).ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var request = new RecordedRequest(
            context.Request.Method,
            context.Request.Path.Value ?? "",
            context.Request.QueryString.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body,
            DateTimeOffset.UtcNow);
        var response = _routes.TryGetValue(Key(request.Method, request.Path), out var sequence) ? sequence.Next()
            : Responder?.Invoke(request)
            ?? (_routes.TryGetValue(Key("*", "*"), out sequence) ? sequence.Next() : new StubResponse(404, "no stub for this route"));
        _requests.Enqueue(request with { Response = response });
        if (response.Delay is { } delay)
        {
            await Task.Delay(delay);
        }

        if (response.DropConnection)
        {
            // The client sees its connection lost without an answer ("The response ended prematurely").
            context.Abort();
            return;
        }

        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        context.Response.ContentType = response.ContentType;
        if (response.GeneratedBytes is { } count)
        {
            await WriteGeneratedAsync(context.Response, count);
            return;
        }

        await context.Response.WriteAsync(response.Body);
    }

    /// <summary>Streams <paramref name="count"/> bytes of <see cref="StubResponse.GeneratedByte"/> in 64 KiB writes.</summary>
    private static async Task WriteGeneratedAsync(HttpResponse response, long count)
    {
        response.ContentLength = count;
        var buffer = new byte[64 * 1024];
        for (long offset = 0; offset < count; offset += buffer.Length)
        {
            var length = (int)Math.Min(buffer.Length, count - offset);
            for (var i = 0; i < length; i++)
            {
                buffer[i] = StubResponse.GeneratedByte(offset + i);
            }

            await response.Body.WriteAsync(buffer.AsMemory(0, length));
        }
    }

    private static string Key(string method, string path) => method.ToUpperInvariant() + " " + path;

    private sealed class ResponseSequence(StubResponse[] responses)
    {
        private int _next;

        public StubResponse Next()
        {
            var index = Interlocked.Increment(ref _next) - 1;
            return responses[Math.Min(index, responses.Length - 1)];
        }
    }
}

/// <summary>A programmed answer.</summary>
public sealed record StubResponse(int Status, string Body = "", string ContentType = "application/json",
    IReadOnlyDictionary<string, string>? Headers = null, TimeSpan? Delay = null)
{
    public static StubResponse Json(int status, string json) => new(status, json);

    /// <summary>
    /// The connection is dropped instead of answering. <see cref="Status"/> still says what the service did with the
    /// request (a 2xx: it was carried out, only the answer was lost), for stubs that model state.
    /// </summary>
    public bool DropConnection { get; init; }

    /// <summary>A request the service carried out (<paramref name="carriedOut"/>) or not, whose answer never arrives.</summary>
    public static StubResponse Dropped(bool carriedOut) => new(carriedOut ? 204 : 503) { DropConnection = true };

    /// <summary>When set, the body is this many generated bytes, streamed (a large file without holding it).</summary>
    public long? GeneratedBytes { get; init; }

    /// <summary>A 200 streaming <paramref name="count"/> generated bytes (<see cref="GeneratedByte"/>) as <paramref name="contentType"/>.</summary>
    public static StubResponse Generated(long count, string contentType = "audio/mpeg") =>
        new(200, ContentType: contentType) { GeneratedBytes = count };

    /// <summary>The byte at <paramref name="offset"/> of a generated body: not periodic at block sizes, so a misplaced block shows.</summary>
    public static byte GeneratedByte(long offset) => (byte)((offset * 31 + offset / 251) % 253);

    /// <summary>429 (or another status) with a Retry-After header in seconds.</summary>
    public static StubResponse RetryAfter(int seconds, int status = 429) =>
        new(status, "{\"error\":\"slow down\"}", Headers: new Dictionary<string, string> { ["Retry-After"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });
}

/// <summary>One request the stub received.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body,
    DateTimeOffset ReceivedAt)
{
    /// <summary>What the stub answered (a delayed answer may have reached a client that had already given up).</summary>
    public StubResponse? Response { get; init; }

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>The body as an <c>application/x-www-form-urlencoded</c> form.</summary>
    public IReadOnlyDictionary<string, string> Form() =>
        QueryHelpers.ParseQuery(Body).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> QueryValues() =>
        QueryHelpers.ParseQuery(Query).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);

    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Body);
        return document.RootElement.Clone();
    }
}

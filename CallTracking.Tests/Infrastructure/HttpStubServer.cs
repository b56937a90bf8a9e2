using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CallTracking.Tests.Infrastructure;

/// <summary>
/// A local Kestrel server on 127.0.0.1 and a free port that stands in for a third-party HTTP API:
/// it records every request and answers with whatever the test programs.
/// </summary>
public sealed class HttpStubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<StubRequest> _requests = new();
    private Func<StubRequest, StubResponse> _respond;

    private HttpStubServer(WebApplication app, Func<StubRequest, StubResponse> respond)
    {
        _app = app;
        _respond = respond;
    }

    /// <summary>Base URL without a trailing slash, e.g. http://127.0.0.1:54321.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Every request received so far, in arrival order.</summary>
    public IReadOnlyList<StubRequest> Requests => [.. _requests];

    public static async Task<HttpStubServer> StartAsync(Func<StubRequest, StubResponse>? respond = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var stub = new HttpStubServer(app, respond ?? (_ => new StubResponse(404)));
        app.Run(stub.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        stub.Url = address.TrimEnd('/');
        return stub;
    }

    /// <summary>Replaces how the stub answers from now on.</summary>
    public void Respond(Func<StubRequest, StubResponse> respond) => Volatile.Write(ref _respond, respond);

    /// <summary>Answers with each response in turn, repeating the last one.</summary>
    public void RespondInOrder(params StubResponse[] responses)
    {
        var next = -1;
        Respond(_ => responses[Math.Min(Interlocked.Increment(ref next), responses.Length - 1)]);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var request = new StubRequest(
            context.Request.Method,
            context.Request.Path.Value ?? "",
            context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()),
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body.ToArray());
        _requests.Enqueue(request);

        var response = Volatile.Read(ref _respond)(request);
        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (response.Body is not null)
        {
            context.Response.ContentType = response.ContentType;
            await context.Response.WriteAsync(response.Body);
        }
    }
}

public sealed record StubRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Query,
    IReadOnlyDictionary<string, string> Headers,
    byte[] Body)
{
    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

public sealed record StubResponse(
    int Status,
    string? Body = null,
    string ContentType = "application/json",
    IReadOnlyDictionary<string, string>? Headers = null)
{
    public static StubResponse Json(string body, int status = 200) => new(status, body);
}

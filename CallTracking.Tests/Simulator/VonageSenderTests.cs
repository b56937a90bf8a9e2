using System.Collections.Concurrent;
using System.Text.Json;
using CallTracking.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CallTracking.Tests.Simulator;

/// <summary>The sender against a Kestrel stand-in for CallTracking's HTTP surface (not our code: only the simulator is under test).</summary>
public sealed class VonageSenderTests : IAsyncLifetime
{
    private const string Secret = "sender-secret";
    private readonly ConcurrentQueue<(string Path, string Method, byte[] Body, string Query)> _received = new();
    private readonly ConcurrentQueue<string> _signatureErrors = new();
    private WebApplication? _app;
    private string _baseUrl = "";
    private int _eventCalls;

    /// <summary>Every Nth event request gets a 503 first (the sender must retry it).</summary>
    private int _failEvery;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync();
        _baseUrl = _app.Urls.First() + "/";
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var path = context.Request.Path.Value!;
        var token = context.Request.Headers.Authorization.ToString()["Bearer ".Length..];
        try
        {
            var payload = context.Request.Method == "GET"
                ? VonageRequestSigner.QueryPayload(context.Request.Query.Select(q => new KeyValuePair<string, string>(q.Key, q.Value.ToString())))
                : body;
            SpecJwtVerifier.Verify(token, Secret, payload, "key-1");
        }
        catch (Exception ex)
        {
            _signatureErrors.Enqueue($"{path}: {ex.Message}");
        }

        if (path == "/api/event" && _failEvery > 0 && Interlocked.Increment(ref _eventCalls) % _failEvery == 0)
        {
            context.Response.StatusCode = 503;
            return;
        }

        _received.Enqueue((path, context.Request.Method, body, context.Request.QueryString.Value ?? ""));
        if (path == "/api/answer")
        {
            var to = context.Request.Query["to"].ToString();
            context.Response.ContentType = "application/json";
            // "Campaign" 442079460002 is closed in this stand-in: the NCCO only talks.
            await context.Response.WriteAsync(to == "442079460002"
                ? """[{"action":"talk","text":"closed"}]"""
                : $$$"""
                  [{"action":"talk","text":"recorded"},
                   {"action":"record","eventUrl":["{{{_baseUrl}}}api/recording"]},
                   {"action":"connect","from":"{{{to}}}","endpoint":[{"type":"phone","number":"1","onAnswer":{"url":"{{{_baseUrl}}}api/whisper?campaign=x"}}]}]
                  """);
            return;
        }

        context.Response.StatusCode = path == "/api/whisper" ? 200 : 204;
        if (path == "/api/whisper")
        {
            await context.Response.WriteAsync("""[{"action":"talk","text":"whisper"}]""");
        }
    }

    [Fact]
    public async Task Sends_every_planned_request_signed_and_follows_the_ncco()
    {
        _failEvery = 13;
        var calls = new ScenarioGenerator(new GeneratorOptions { Seed = 11, DuplicateFraction = 0.1, ShuffleFraction = 0.2 })
            .Generate(ScenarioGeneratorTests.Campaigns, 60);
        using var http = SimulatorRun.CreateHttpClient(new Uri(_baseUrl), 8);
        var sender = new VonageSender(http, new VonageRequestSigner(Secret, "key-1"), new SenderOptions
        {
            CallsPerSecond = 200,
            MaxConcurrentCalls = 8,
            FirstRetryDelay = TimeSpan.FromMilliseconds(5),
        });

        var summary = SimulationSummary.From(11, await sender.RunAsync(calls));

        Assert.Empty(_signatureErrors);
        Assert.Equal(0, summary.FailedRequests);
        Assert.True(summary.Retries > 0, "some events were retried after a 503");
        var received = _received.ToList();
        Assert.Equal(60, received.Count(r => r.Path == "/api/answer"));
        Assert.All(received.Where(r => r.Path == "/api/answer"), r => Assert.Equal("GET", r.Method));
        Assert.Equal(summary.Events + summary.Duplicates - DuplicateRecordings(summary, calls), received.Count(r => r.Path == "/api/event"));
        Assert.Equal(summary.Recordings, received.Count(r => r.Path == "/api/recording" && !IsDuplicateRecording(r.Body, received)));
        Assert.Equal(summary.Whispers, received.Count(r => r.Path == "/api/whisper"));
        Assert.Equal(summary.Requests - summary.Retries, received.Count);

        // The closed campaign's calls fell back to the plan without an agent leg.
        var closed = summary.CallList.Where(c => c.CampaignId == "tv-ad").ToList();
        Assert.NotEmpty(closed);
        Assert.All(closed, c => Assert.Equal(SimOutcome.NotConnected, c.Outcome));
        Assert.All(summary.CallList.Where(c => c.CampaignId != "tv-ad"), c => Assert.NotEqual(SimOutcome.NotConnected, c.Outcome));

        // Every event that was planned arrived at least once, byte for byte.
        var eventBodies = received.Where(r => r.Path == "/api/event").Select(r => Convert.ToBase64String(r.Body)).ToHashSet();
        foreach (var result in summary.CallList)
        {
            var call = calls[summary.CallList.ToList().IndexOf(result)];
            var plan = result.Outcome == SimOutcome.NotConnected ? call.NotConnected : call.Connected;
            Assert.All(plan.Timeline.Where(d => d.Kind == DeliveryKind.Event), d => Assert.Contains(Convert.ToBase64String(d.Body), eventBodies));
        }
    }

    private static int DuplicateRecordings(SimulationSummary summary, IReadOnlyList<SimulatedCall> calls) =>
        summary.CallList.Select((c, i) => c.Outcome == SimOutcome.NotConnected ? 0
            : calls[i].Connected.Deliveries.Count(d => d.IsDuplicate && d.Kind == DeliveryKind.Recording)).Sum();

    private static bool IsDuplicateRecording(byte[] body, List<(string Path, string Method, byte[] Body, string Query)> received) =>
        received.Where(r => r.Path == "/api/recording").TakeWhile(r => r.Body != body).Any(r => r.Body.AsSpan().SequenceEqual(body));

    [Fact]
    public async Task Open_loop_mode_sends_at_a_fixed_rate_and_measures_latency()
    {
        _failEvery = 0;
        var calls = new ScenarioGenerator(new GeneratorOptions { Seed = 5 }).Generate(ScenarioGeneratorTests.Campaigns[..1], 10);
        using var http = SimulatorRun.CreateHttpClient(new Uri(_baseUrl), 64);
        var sender = new VonageSender(http, new VonageRequestSigner(Secret, "key-1"), new SenderOptions { OpenLoopRequestsPerSecond = 500 });

        var report = await sender.RunAsync(calls);

        var expected = calls.Sum(c => 1 + c.Connected.Deliveries.Count(d => d.Kind != DeliveryKind.Whisper));
        Assert.Equal(expected, _received.Count);
        Assert.Empty(_signatureErrors);
        Assert.Equal(expected - 10 - report.Calls.Sum(c => c.Recordings), report.Latency["event"].Count - report.Calls.Sum(c => c.Plan.Deliveries.Count(d => d.IsDuplicate && d.Kind == DeliveryKind.Recording)));
        Assert.Equal(10, report.Latency["answer"].Count);
        _ = JsonSerializer.Serialize(report.Latency);
    }
}

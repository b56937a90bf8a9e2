using System.Net;
using System.Text;
using System.Text.Json;
using CallTracking.Functions.Callbacks;
using CallTracking.Functions.Campaigns;
using CallTracking.Simulator;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.Simulator;

/// <summary>
/// The simulator's Voice API answers the app's own <c>POST /v1/calls</c> body (built by
/// <see cref="CallbackCall"/>) like Vonage, then plays the attempt's signed events to a stub standing in for the app.
/// </summary>
public sealed class SimCallbackVoiceApiTests : IAsyncLifetime
{
    private const string Secret = "callback-sim-secret";
    private const string EventPath = "/api/event";

    private static readonly Campaign Campaign = new()
    {
        Id = "cb-sim",
        Name = "Radio",
        TrackingNumber = "+442079460104",
        AgentNumber = "+447700900604",
    };

    private HttpStubServer _app = null!;
    private HttpClient _http = null!;
    private SimVoiceApi _server = null!;
    private SimCallbackVoiceApi _api = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _app = await HttpStubServer.StartAsync();
        _app.On("POST", EventPath, StubResponse.Json(200, "{}"));
        _http = new HttpClient { BaseAddress = new Uri(_app.BaseUrl + "/") };
        _server = SimVoiceApi.Start();
        _api = _server.Callbacks;
        _client = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
        _http.Dispose();
        await _app.DisposeAsync();
    }

    private SimCallbackPlayer Player(double answer) =>
        new(_http, new VonageRequestSigner(Secret, "key-1"), new CallbackPlayerOptions { AnswerFraction = answer, Step = TimeSpan.Zero, Seed = 7 });

    private Task<HttpResponseMessage> CreateCallAsync(string caller, string? publicBaseUrl = null) =>
        _client.PostAsync(new Uri("/v1/calls", UriKind.Relative), new StringContent(
            CallbackCall.Build(Campaign, caller, publicBaseUrl).ToJsonString(), Encoding.UTF8, "application/json"));

    [Fact]
    public async Task An_answered_attempt_is_201_then_the_agent_leg_answers_and_the_caller_leg_is_connected()
    {
        _api.Player = Player(answer: 1);

        var response = await CreateCallAsync("+447700900123", "https://calltracking.example.com");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var attempt = Assert.Single(_api.Attempts);
        Assert.Equal(attempt.LegUuid, created.RootElement.GetProperty("uuid").GetString());
        Assert.Equal(attempt.ConversationUuid, created.RootElement.GetProperty("conversation_uuid").GetString());
        Assert.Equal(new CreateCallRequest("447700900604", "442079460104", "447700900123", "https://calltracking.example.com/api/event"), attempt.Request);
        Assert.True(attempt.Answered);

        await _api.WhenPlayedAsync();
        var events = _app.RequestsTo(EventPath);
        Assert.Equal(0, attempt.FailedEvents);
        var played = events.Select(e => e.Json()).Select(e => (Leg: e.GetProperty("uuid").GetString(), Status: e.GetProperty("status").GetString(),
            To: e.GetProperty("to").GetString())).ToList();
        var callerLeg = played[3].Leg;
        Assert.NotEqual(attempt.LegUuid, callerLeg);
        Assert.Equal(
            [
                (attempt.LegUuid, "started", "447700900604"), (attempt.LegUuid, "ringing", "447700900604"), (attempt.LegUuid, "answered", "447700900604"),
                (callerLeg, "started", "447700900123"), (callerLeg, "ringing", "447700900123"), (callerLeg, "answered", "447700900123"),
                (callerLeg, "completed", "447700900123"), (attempt.LegUuid, "completed", "447700900604"),
            ],
            played);
        Assert.All(events, e =>
        {
            var json = e.Json();
            Assert.Equal(attempt.ConversationUuid, json.GetProperty("conversation_uuid").GetString());
            Assert.Equal("outbound", json.GetProperty("direction").GetString());
            Assert.Equal("442079460104", json.GetProperty("from").GetString());
            SpecJwtVerifier.Verify(e.Header("Authorization")!["Bearer ".Length..], Secret, Encoding.UTF8.GetBytes(e.Body), "key-1");
        });
        Assert.True(events[^1].Json().GetProperty("duration").GetString() is { Length: > 0 });
    }

    [Fact]
    public async Task An_unanswered_attempt_rings_out_on_the_agent_leg_only_to_the_application_event_url()
    {
        _api.Player = Player(answer: 0);

        Assert.Equal(HttpStatusCode.Created, (await CreateCallAsync("+447700900123")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await CreateCallAsync("+447700900123")).StatusCode);
        await _api.WhenPlayedAsync();

        Assert.All(_api.Attempts, a => Assert.False(a.Answered));
        Assert.Equal([0, 1], _api.Attempts.Select(a => a.Ordinal).Order());
        var events = _app.RequestsTo(EventPath).Select(e => e.Json()).ToList(); // no event_url: the application's, api/event
        Assert.Equal(6, events.Count);
        Assert.All(events, e => Assert.Equal("447700900604", e.GetProperty("to").GetString()));
        Assert.Equal(["busy", "ringing", "ringing", "started", "started", "timeout"], events.Select(e => e.GetProperty("status").GetString()).Order());
    }

    [Fact]
    public async Task Without_a_player_it_is_503_so_the_app_retries_and_a_body_without_numbers_is_400()
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await CreateCallAsync("+447700900123")).StatusCode);

        _api.Player = Player(answer: 1);
        var bad = await _client.PostAsync(new Uri("/v1/calls", UriKind.Relative), new StringContent("{\"to\":[]}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Empty(_api.Attempts);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync(new Uri("/v1/calls", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task One_listener_serves_callbacks_hold_transfers_and_recordings_and_keeps_each_callbacks_authorization()
    {
        _api.Player = Player(answer: 0);
        using var post = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/calls", UriKind.Relative))
        {
            Content = new StringContent(CallbackCall.Build(Campaign, "+447700900123", null).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        post.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "a.b.c");

        Assert.Equal(HttpStatusCode.Created, (await _client.SendAsync(post)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.PutAsync(new Uri("/v1/calls/leg-a", UriKind.Relative), new StringContent("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync(new Uri(_server.RecordingBaseUrl + "file-1"))).StatusCode);
        await _api.WhenPlayedAsync();

        Assert.Equal("Bearer a.b.c", Assert.Single(_api.Attempts).Authorization);
        Assert.Equal("leg-a", Assert.Single(_server.Transfers).Leg);
        Assert.Equal(1, _server.RecordingDownloads);
    }

    [Fact]
    public void The_answer_decision_is_reproducible_from_the_seed()
    {
        var request = new CreateCallRequest("447700900604", "442079460104", "447700900123", null);
        var decisions = Enumerable.Range(0, 2).Select(_ =>
        {
            var player = new SimCallbackPlayer(_http, new VonageRequestSigner(Secret), new CallbackPlayerOptions { Seed = 11, AnswerFraction = 0.5 });
            return Enumerable.Range(0, 20).Select(_ => player.Decide(request, "leg", "con").Answered).ToList();
        }).ToList();

        Assert.Equal(decisions[0], decisions[1]);
        Assert.Contains(true, decisions[0]);
        Assert.Contains(false, decisions[0]);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CallTracking.Functions.Forwarding;
using CallTracking.Tests.Calls;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Vonage;
using Xunit;

namespace CallTracking.Tests.Callbacks;

/// <summary>The local host with the real worker, a stub Voice API and a stub webhook receiver.</summary>
public sealed class CallbackHostFixture : FunctionsHostFixture, IAsyncLifetime
{
    public const string Hook = "/hooks/calls";
    public const string Secret = "whsec-e2e-7c1d9e0f3a";

    public VoiceApiStub Voice { get; private set; } = null!;

    public HttpStubServer Hooks { get; private set; } = null!;

    public new async Task InitializeAsync()
    {
        Voice = await VoiceApiStub.StartAsync();
        Hooks = await HttpStubServer.StartAsync();
        Hooks.On("POST", Hook, StubResponse.Json(200, "{}"));
        await base.InitializeAsync();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        foreach (var (key, value) in Voice.EnvironmentSettings())
        {
            settings[key] = value;
        }

        settings["Webhooks__Url"] = Hooks.BaseUrl + Hook;
        settings["Webhooks__Secret"] = Secret;
        settings["CallTracking__ProcessingDelaySeconds"] = "0";
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Voice.DisposeAsync();
        await Hooks.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class CallbackHostCollection : ICollectionFixture<CallbackHostFixture>
{
    public const string Name = "CallbackHost";
}

/// <summary>
/// Issue 15, item 5 end to end over HTTP: a campaign with a callback policy, a missed call's signed events, and the
/// worker's queue functions place the callback through the stub Voice API (JWT checked); the attempt's own events
/// come back through /api/event and its record reaches the signed outgoing webhook.
/// </summary>
[Collection(CallbackHostCollection.Name)]
public class CallbackEndToEndTests(CallbackHostFixture host)
{
    private const string Caller = "447700900123";
    private const string Agent = "447700900999";

    [Fact]
    public async Task A_missed_call_is_called_back_once_and_the_connected_attempt_reaches_the_webhook()
    {
        var campaignId = TestServices.UniqueId("e2e-cb");
        var tracking = "4420794" + Random.Shared.Next(10000, 99999);
        var put = await host.Client.PutAsync(new Uri($"api/campaigns/{campaignId}", UriKind.Relative), JsonBody.From(new JsonObject
        {
            ["name"] = "Callback radio",
            ["trackingNumber"] = "+" + tracking,
            ["agentNumber"] = "+" + Agent,
            ["callback"] = new JsonObject { ["attempts"] = 2, ["intervalMinutes"] = 30, ["onlyWhenOpen"] = false },
        }));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        var missed = new CallEvents("CON-" + Guid.NewGuid(), tracking, Caller, Agent);
        var conversation = "CON-" + Guid.NewGuid();
        var leg = Guid.NewGuid().ToString();
        host.Voice.Server.On("POST", "/v1/calls", StubResponse.Json(201,
            $$"""{"uuid":"{{leg}}","status":"started","direction":"outbound","conversation_uuid":"{{conversation}}"}"""));
        foreach (var e in missed.AgentFails("timeout"))
        {
            Assert.True((await SignedAsync("api/event", e)).IsSuccessStatusCode);
        }

        var create = await EventuallyAsync(() => host.Voice.Server.RequestsTo("/v1/calls").SingleOrDefault(), TimeSpan.FromSeconds(60));
        host.Voice.AssertSignedByApplication(create);
        Assert.Equal(Agent, create.Json().GetProperty("to")[0].GetProperty("number").GetString());
        Assert.Equal(Caller, create.Json().GetProperty("ncco")[1].GetProperty("endpoint")[0].GetProperty("number").GetString());

        // The agent answers, the caller is connected, both hang up.
        var callerLeg = Guid.NewGuid().ToString();
        var now = DateTimeOffset.UtcNow;
        foreach (var (uuid, status, from, to, second) in new[]
        {
            (leg, "started", tracking, Agent, 0), (leg, "answered", tracking, Agent, 4),
            (callerLeg, "started", tracking, Caller, 6), (callerLeg, "answered", tracking, Caller, 10),
            (callerLeg, "completed", tracking, Caller, 60), (leg, "completed", tracking, Agent, 61),
        })
        {
            var at = now.AddSeconds(second).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            var body = new JsonObject
            {
                ["uuid"] = uuid,
                ["conversation_uuid"] = conversation,
                ["status"] = status,
                ["direction"] = "outbound",
                ["from"] = from,
                ["to"] = to,
                ["timestamp"] = at,
            };
            if (status == "answered")
            {
                body["start_time"] = at;
            }

            Assert.True((await SignedAsync("api/event", body.ToJsonString())).IsSuccessStatusCode);
        }

        var attemptHook = await EventuallyAsync(() => host.Hooks.RequestsTo(CallbackHostFixture.Hook)
            .SingleOrDefault(r => r.Body.Contains(conversation, StringComparison.Ordinal)), TimeSpan.FromSeconds(60));
        Assert.True(WebhookSignature.Verify(CallbackHostFixture.Secret, attemptHook.Header("X-CallTracking-Signature"), attemptHook.Body,
            DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        var record = attemptHook.Json();
        Assert.Equal("call.completed", record.GetProperty("event").GetString());
        Assert.Equal("outbound", record.GetProperty("direction").GetString());
        Assert.Equal(1, record.GetProperty("attemptNumber").GetInt32());
        Assert.Equal(missed.ConversationUuid, record.GetProperty("callbackOf").GetString());
        Assert.Equal("Answered", record.GetProperty("outcome").GetString());
        Assert.Single(host.Hooks.RequestsTo(CallbackHostFixture.Hook), r => r.Body.Contains(missed.ConversationUuid, StringComparison.Ordinal)
            && r.Json().GetProperty("id").GetString() == missed.ConversationUuid);

        var stats = await host.Client.GetAsync(new Uri($"api/campaigns/{campaignId}/stats", UriKind.Relative));
        using var statsBody = JsonDocument.Parse(await stats.Content.ReadAsStringAsync());
        var callbacks = statsBody.RootElement.GetProperty("callbacks");
        Assert.Equal(1, callbacks.GetProperty("attempted").GetInt32());
        Assert.Equal(1, callbacks.GetProperty("connected").GetInt32());
        Assert.Equal(1, callbacks.GetProperty("byAttempt")[0].GetProperty("attemptNumber").GetInt32());
        Assert.Single(host.Voice.Server.RequestsTo("/v1/calls"));
    }

    private async Task<HttpResponseMessage> SignedAsync(string path, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", VonageTokens.Hs256(VonageTokens.Claims(body)));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await host.Client.SendAsync(request);
    }

    private async Task<T> EventuallyAsync<T>(Func<T?> probe, TimeSpan timeout) where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (probe() is { } found)
            {
                return found;
            }

            await Task.Delay(200);
        }

        return probe() ?? throw new Xunit.Sdk.XunitException("Timed out. Host log:\n" + host.Log);
    }
}

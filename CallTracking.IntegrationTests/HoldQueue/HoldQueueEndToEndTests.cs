using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Tests.Calls;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Vonage;
using Xunit;

namespace CallTracking.Tests.HoldQueue;

/// <summary>The app through the local host with its Voice API pointed at a stub that checks the application JWT.</summary>
public class HoldQueueHostFixture : FunctionsHostFixture, IAsyncLifetime
{
    public VoiceApiStub VoiceApi { get; private set; } = null!;

    public new async Task InitializeAsync()
    {
        VoiceApi = await VoiceApiStub.StartAsync();
        VoiceApi.Server.OnAny(new StubResponse(204));
        await base.InitializeAsync();
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await VoiceApi.DisposeAsync();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        foreach (var (key, value) in VoiceApi.EnvironmentSettings())
        {
            settings[key] = value;
        }

        // Finished calls are processed soon, so the soak can read their outcomes and stats.
        settings["CallTracking__ProcessingDelaySeconds"] = "2";
    }
}

[CollectionDefinition(Name)]
public sealed class HoldQueueHostCollection : ICollectionFixture<HoldQueueHostFixture>
{
    public const string Name = "HoldQueueHost";
}

/// <summary>
/// Issue 14's acceptance through the local host, the real worker and Azurite, with a stub Voice API: hold instead of
/// a connect while the agent is on a call, exactly one transfer when the agent frees (duplicates and reordering
/// included), no transfer for a caller who hung up, voicemail after the maximum wait, and first come first served
/// across campaigns sharing agents. Each test uses its own numbers, so tests do not see each other's agents.
/// </summary>
[Collection(HoldQueueHostCollection.Name)]
public class HoldQueueEndToEndTests(HoldQueueHostFixture host) : HoldQueueScenario(host, host.VoiceApi)
{
    [Fact]
    public async Task Busy_agent_puts_the_next_caller_on_hold_and_frees_to_exactly_one_transfer_despite_duplicates_and_reordering()
    {
        var (tracking, agent) = ("447700910001", "447700910101");
        await PutCampaignAsync("hold-one", tracking, agent, maxWaitSeconds: 600);

        var a = new CallEvents("CON-A-" + Guid.NewGuid(), tracking, "447700910201", agent);
        var connect = await AnswerAsync(a);
        Assert.Contains(connect, x => ActionOf(x) == "connect" && x?["eventType"]?.GetValue<string>() == "synchronous");
        await EventsAsync(a.Inbound("started", 0), a.Inbound("answered", 0.2), a.AgentLeg("started", 1), a.AgentLeg("answered", 5));

        var b = new CallEvents("CON-B-" + Guid.NewGuid(), tracking, "447700910202", agent);
        var hold = await AnswerAsync(b);
        Assert.DoesNotContain(hold, x => ActionOf(x) == "connect");
        var music = hold.Single(x => ActionOf(x) == "stream" && x?["loop"]?.GetValue<int>() == 0);
        Assert.Equal(HoldMusic, music?["streamUrl"]?[0]?.GetValue<string>());
        await EventsAsync(b.Inbound("started", 0), b.Inbound("answered", 0.2));

        // The agent's call ends: completed twice, the caller's completed, and a late duplicate of the answered event.
        var completed = a.AgentLeg("completed", 60, CallEvents.Billing(5, 60, "0.01"));
        await Task.WhenAll(EventAsync(completed), EventAsync(completed), EventAsync(a.Inbound("completed", 60.5)));
        await EventsAsync(a.AgentLeg("answered", 5), completed);

        var transfer = await SingleTransferAsync(b.InboundUuid);
        VoiceApi.AssertSignedByApplication(transfer);
        var body = transfer.Json();
        Assert.Equal("transfer", body.GetProperty("action").GetString());
        var agentConnect = body.GetProperty("destination").GetProperty("ncco").EnumerateArray()
            .Single(x => x.GetProperty("action").GetString() == "connect");
        Assert.Equal(agent, agentConnect.GetProperty("endpoint")[0].GetProperty("number").GetString());
        Assert.EndsWith("/api/event?call=" + b.ConversationUuid, agentConnect.GetProperty("eventUrl")[0].GetString(), StringComparison.Ordinal);

        // Nothing more is sent: the recheck of the answer path and further duplicates find the agent reserved for B.
        await EventsAsync(completed, a.AgentLeg("completed", 60));
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Single(TransfersOf(b.InboundUuid));
    }

    [Theory]
    [InlineData(false, 2)] // the PUT never acted on: the leg is still in its conversation, so it is sent once more
    [InlineData(true, 1)] // carried out, only the answer lost: the leg has moved, nothing is sent again
    public async Task A_transfer_whose_connection_drops_is_checked_on_the_leg_and_carried_out_exactly_once(bool carriedOut, int puts)
    {
        var (a, b) = carriedOut
            ? await AgentBusyWithCallerOnHoldAsync("hold-drop-done", "447700980001", "447700980101", maxWaitSeconds: 600)
            : await AgentBusyWithCallerOnHoldAsync("hold-drop-lost", "447700980002", "447700980102", maxWaitSeconds: 600);
        VoiceApi.Server.On("PUT", "/v1/calls/" + b.InboundUuid, StubResponse.Dropped(carriedOut), new StubResponse(204));

        await EventAsync(a.AgentLeg("completed", 60));

        await WaitUntilAsync(() => Task.FromResult(TransfersOf(b.InboundUuid).Count == puts));
        await WaitUntilAsync(async () => (await CallAsync(b.ConversationUuid)).HoldResult == "transferred");
        await Task.Delay(TimeSpan.FromSeconds(3)); // nothing more follows
        var sent = TransfersOf(b.InboundUuid);
        Assert.Equal(puts, sent.Count);
        Assert.Single(sent, r => r.Response?.Status is >= 200 and < 300); // carried out once
        var check = Assert.Single(VoiceApi.Server.RequestsTo("/v1/calls/" + b.InboundUuid, "GET"));
        VoiceApi.AssertSignedByApplication(check);
    }

    [Fact]
    public async Task A_caller_whose_transfer_was_refused_is_not_left_on_hold_the_maximum_wait_still_ends_in_voicemail()
    {
        var (a, b) = await AgentBusyWithCallerOnHoldAsync("hold-refused", "447700980003", "447700980103", maxWaitSeconds: 10);
        VoiceApi.Server.On("PUT", "/v1/calls/" + b.InboundUuid, new StubResponse(500, """{"title":"Internal Error"}"""), new StubResponse(204));

        await EventAsync(a.AgentLeg("completed", 6)); // the transfer is refused; B's leg stays where it waited

        await WaitUntilAsync(() => Task.FromResult(TransfersOf(b.InboundUuid).Count == 2), TimeSpan.FromSeconds(90));
        var ending = TransfersOf(b.InboundUuid)[1].Json().GetProperty("destination").GetProperty("ncco").EnumerateArray();
        Assert.Contains(ending, x => x.GetProperty("action").GetString() == "record");
        Assert.Equal("voicemail", (await CallAsync(b.ConversationUuid)).HoldResult);
        Assert.Single(VoiceApi.Server.RequestsTo("/v1/calls/" + b.InboundUuid, "GET"));
    }

    [Fact]
    public async Task A_failed_synchronous_connect_is_answered_with_the_hold_ncco_and_the_caller_waits_for_the_agent()
    {
        var (tracking, agent) = ("447700950001", "447700950101");
        await PutCampaignAsync("hold-failed-connect", tracking, agent, maxWaitSeconds: 600);
        var b = new CallEvents("CON-B-" + Guid.NewGuid(), tracking, "447700950202", agent);
        Assert.Contains(await AnswerAsync(b), x => ActionOf(x) == "connect");
        await EventsAsync(b.Inbound("answered", 0.2), b.AgentLeg("ringing", 1));

        var reply = await SignedAsync("api/event", b.AgentLeg("busy", 3));

        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        var ncco = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!.AsArray();
        Assert.Contains(ncco, x => ActionOf(x) == "stream" && x?["loop"]?.GetValue<int>() == 0);
        Assert.Equal(HttpStatusCode.NoContent, (await SignedAsync("api/event", b.AgentLeg("completed", 3.1))).StatusCode);

        // The next caller finds B waiting: first come, first served, so A waits too and B (the agent being free) is
        // transferred by the answer path's re-check; B's failed leg is set aside.
        var a = new CallEvents("CON-A-" + Guid.NewGuid(), tracking, "447700950201", agent);
        Assert.DoesNotContain(await AnswerAsync(a), x => ActionOf(x) == "connect");
        await SingleTransferAsync(b.InboundUuid);
        Assert.Empty(TransfersOf(a.InboundUuid));
        var call = await CallAsync(b.ConversationUuid);
        Assert.Equal("transferred", call.HoldResult);
        Assert.Equal(b.AgentUuid, call.HoldReplacedAgentLegUuid);
        Assert.Null(call.AgentLegUuid);
    }

    [Fact]
    public async Task A_caller_who_hangs_up_while_waiting_is_never_transferred()
    {
        var (tracking, agent) = ("447700920001", "447700920101");
        await PutCampaignAsync("hold-hangup", tracking, agent, maxWaitSeconds: 600);
        var a = new CallEvents("CON-A-" + Guid.NewGuid(), tracking, "447700920201", agent);
        await AnswerAsync(a);
        await EventsAsync(a.Inbound("answered", 0.2), a.AgentLeg("answered", 5));
        var b = new CallEvents("CON-B-" + Guid.NewGuid(), tracking, "447700920202", agent);
        Assert.DoesNotContain(await AnswerAsync(b), x => ActionOf(x) == "connect");

        await EventsAsync(b.Inbound("answered", 0.2), b.Inbound("completed", 30, CallEvents.Billing(0.2, 30, "0.001")));
        await EventsAsync(a.AgentLeg("completed", 60, CallEvents.Billing(5, 60, "0.01")), a.Inbound("completed", 60.5));

        // The agent is free again: a third caller is connected, not held.
        var c = new CallEvents("CON-C-" + Guid.NewGuid(), tracking, "447700920203", agent);
        await WaitUntilAsync(async () => (await AnswerAsync(c)).Any(x => ActionOf(x) == "connect"));
        Assert.Empty(TransfersOf(b.InboundUuid));
        var call = await CallAsync(b.ConversationUuid);
        Assert.NotNull(call.HoldEnteredAt);
        Assert.Null(call.HoldResult);
    }

    [Fact]
    public async Task After_the_maximum_wait_the_caller_is_transferred_to_voicemail_and_the_recording_joins_the_same_call()
    {
        var (tracking, agent) = ("447700930001", "447700930101");
        await PutCampaignAsync("hold-voicemail", tracking, agent, maxWaitSeconds: 10);
        var a = new CallEvents("CON-A-" + Guid.NewGuid(), tracking, "447700930201", agent);
        await AnswerAsync(a);
        await EventsAsync(a.Inbound("answered", 0.2), a.AgentLeg("answered", 5));
        var b = new CallEvents("CON-B-" + Guid.NewGuid(), tracking, "447700930202", agent);
        await AnswerAsync(b);
        await EventsAsync(b.Inbound("answered", 0.2));

        var transfer = await SingleTransferAsync(b.InboundUuid, TimeSpan.FromSeconds(90));
        VoiceApi.AssertSignedByApplication(transfer);
        var ncco = transfer.Json().GetProperty("destination").GetProperty("ncco").EnumerateArray().ToList();
        var record = ncco.Single(x => x.GetProperty("action").GetString() == "record");
        Assert.True(record.GetProperty("beepStart").GetBoolean());
        var recordingUrl = record.GetProperty("eventUrl")[0].GetString()!;
        Assert.EndsWith("/api/recording?call=" + b.ConversationUuid, recordingUrl, StringComparison.Ordinal);

        // The voicemail's leg now lives in another conversation; its recording and events join call B.
        var moved = "CON-MOVED-" + Guid.NewGuid();
        var recording = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["conversation_uuid"] = moved,
            ["recording_uuid"] = Guid.NewGuid().ToString(),
            ["recording_url"] = "https://api.nexmo.com/v1/files/" + Guid.NewGuid(),
            ["start_time"] = CallEvents.Time(20),
            ["end_time"] = CallEvents.Time(40),
            ["size"] = 12345,
        });
        Assert.Equal(HttpStatusCode.NoContent, (await SignedAsync("api/recording?call=" + b.ConversationUuid, recording)).StatusCode);
        var movedCompleted = new CallEvents(moved, tracking, "447700930202", agent).Inbound("completed", 41, CallEvents.Billing(0.2, 41, "0.002"))
            .Replace("in-" + moved, b.InboundUuid, StringComparison.Ordinal);
        await EventsAsync(movedCompleted);

        var call = await CallAsync(b.ConversationUuid);
        Assert.Equal("voicemail", call.HoldResult);
        Assert.NotNull(call.RecordingUrl);
        Assert.Equal("completed", call.InboundStatus);
        Assert.False((await Host.Tables.GetTableClient(StorageNames.CallsTable)
            .GetEntityIfExistsAsync<CallRecord>(moved, CallRecord.RowKeyValue)).HasValue);
    }

    [Fact]
    public async Task Two_agents_shared_by_three_campaigns_serve_their_own_callers_first_come_first_served()
    {
        var (x, y) = ("447700940101", "447700940102");
        await PutCampaignAsync("hold-share-1", "447700940001", x, maxWaitSeconds: 600);
        await PutCampaignAsync("hold-share-2", "447700940002", x, maxWaitSeconds: 600);
        await PutCampaignAsync("hold-share-3", "447700940003", y, maxWaitSeconds: 600);

        var onX = new CallEvents("CON-X-" + Guid.NewGuid(), "447700940001", "447700940201", x);
        var onY = new CallEvents("CON-Y-" + Guid.NewGuid(), "447700940003", "447700940202", y);
        await AnswerAsync(onX);
        await AnswerAsync(onY);
        await EventsAsync(onX.AgentLeg("answered", 5), onY.AgentLeg("answered", 5));

        // First for X (through campaign 2), then second for X (campaign 1), and one for Y.
        var first = new CallEvents("CON-1-" + Guid.NewGuid(), "447700940002", "447700940301", x);
        var second = new CallEvents("CON-2-" + Guid.NewGuid(), "447700940001", "447700940302", x);
        var third = new CallEvents("CON-3-" + Guid.NewGuid(), "447700940003", "447700940303", y);
        foreach (var caller in new[] { first, second, third })
        {
            Assert.DoesNotContain(await AnswerAsync(caller), a => ActionOf(a) == "connect");
        }

        // Both agents' calls end at once.
        await Task.WhenAll(EventAsync(onX.AgentLeg("completed", 60)), EventAsync(onY.AgentLeg("completed", 60)));

        var toX = await SingleTransferAsync(first.InboundUuid);
        var toY = await SingleTransferAsync(third.InboundUuid);
        Assert.Contains(x, toX.Body, StringComparison.Ordinal);
        Assert.Contains(y, toY.Body, StringComparison.Ordinal);
        Assert.Empty(TransfersOf(second.InboundUuid));

        // The first caller talks to X in the transfer's new conversation (events marked with ?call=), then hangs up.
        var moved = new CallEvents("CON-M-" + Guid.NewGuid(), "447700940002", "447700940301", x);
        var marker = "?call=" + first.ConversationUuid;
        await EventsAtAsync(marker, moved.AgentLeg("answered", 70), moved.AgentLeg("completed", 100, CallEvents.Billing(70, 100, "0.01")));

        var toXAgain = await SingleTransferAsync(second.InboundUuid);
        Assert.Contains(x, toXAgain.Body, StringComparison.Ordinal);
        var firstCall = await CallAsync(first.ConversationUuid);
        Assert.Equal("transferred", firstCall.HoldResult);
        Assert.Equal(moved.AgentUuid, firstCall.AgentLegUuid);
        Assert.Equal("completed", firstCall.AgentStatus);
    }
}

/// <summary>Plays Vonage for the hold-queue tests: campaigns, answers, signed events, and what the stub Voice API received.</summary>
public abstract class HoldQueueScenario(FunctionsHostFixture host, VoiceApiStub voiceApi)
{
    protected const string HoldMusic = "https://example.com/hold.mp3";

    protected FunctionsHostFixture Host { get; } = host;

    protected VoiceApiStub VoiceApi { get; } = voiceApi;

    /// <summary>A campaign whose agent is on call A (answered), and caller B put on hold for that agent.</summary>
    protected async Task<(CallEvents Busy, CallEvents OnHold)> AgentBusyWithCallerOnHoldAsync(string campaign, string tracking, string agent,
        int maxWaitSeconds)
    {
        await PutCampaignAsync(campaign, tracking, agent, maxWaitSeconds);
        var a = new CallEvents("CON-A-" + Guid.NewGuid(), tracking, TestNumbers.Digits(TestNumbers.London()), agent);
        await AnswerAsync(a);
        await EventsAsync(a.Inbound("answered", 0.2), a.AgentLeg("answered", 5));
        var b = new CallEvents("CON-B-" + Guid.NewGuid(), tracking, TestNumbers.Digits(TestNumbers.London()), agent);
        Assert.DoesNotContain(await AnswerAsync(b), x => ActionOf(x) == "connect");
        return (a, b);
    }

    protected static string? ActionOf(JsonNode? action) => action?["action"]?.GetValue<string>();

    protected async Task PutCampaignAsync(string id, string tracking, string agent, int maxWaitSeconds)
    {
        var campaign = new JsonObject
        {
            ["id"] = id,
            ["name"] = id,
            ["trackingNumber"] = "+" + tracking,
            ["agentNumber"] = "+" + agent,
            ["whenBusy"] = new JsonObject
            {
                ["holdMusicUrl"] = HoldMusic,
                ["message"] = "All our agents are busy. Please hold.",
                ["maxWaitSeconds"] = maxWaitSeconds,
                ["then"] = "voicemail",
            },
        };
        using var request = new HttpRequestMessage(HttpMethod.Put, "api/campaigns/" + id) { Content = JsonBody.From(campaign) };
        var response = await Host.Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"campaign {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    protected async Task<JsonArray> AnswerAsync(CallEvents call)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"api/answer?to={call.TrackingNumber}&from={call.Caller}&uuid={call.InboundUuid}&conversation_uuid={call.ConversationUuid}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", VonageTokens.Hs256(VonageTokens.Claims([])));
        var response = await Host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
    }

    protected async Task EventsAsync(params string[] events)
    {
        foreach (var e in events)
        {
            await EventAsync(e);
        }
    }

    protected async Task EventsAtAsync(string query, params string[] events)
    {
        foreach (var e in events)
        {
            var response = await SignedAsync("api/event" + query, e);
            Assert.True(response.IsSuccessStatusCode, $"event: {(int)response.StatusCode}");
        }
    }

    protected async Task EventAsync(string json)
    {
        var response = await SignedAsync("api/event", json);
        Assert.True(response.IsSuccessStatusCode, $"event: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    protected async Task<HttpResponseMessage> SignedAsync(string path, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", VonageTokens.Hs256(VonageTokens.Claims(body)));
        return await Host.Client.SendAsync(request);
    }

    protected List<RecordedRequest> TransfersOf(string leg) => VoiceApi.Server.RequestsTo("/v1/calls/" + leg, "PUT").ToList();

    protected async Task<RecordedRequest> SingleTransferAsync(string leg, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (TransfersOf(leg).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no transfer of {leg}; host log:\n{Host.Log}");
            await Task.Delay(200);
        }

        return Assert.Single(TransfersOf(leg));
    }

    protected async Task<CallRecord> CallAsync(string callId)
    {
        var row = await Host.Tables.GetTableClient(StorageNames.CallsTable).GetEntityIfExistsAsync<CallRecord>(callId, CallRecord.RowKeyValue);
        Assert.True(row.HasValue, $"no call {callId}");
        return row.Value!;
    }

    protected static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(200);
        }
    }
}

using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Tests.CallFlow;
using CallTracking.Tests.Calls;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.HoldQueue;

/// <summary>
/// Issue 14 item 5 through the local host and Azurite: a campaign with <c>whenUnanswered</c> (and no hold queue) connects
/// synchronously, and the event webhook answers a failed connect with the hold queue's voicemail or closing message.
/// </summary>
[Collection(HoldQueueHostCollection.Name)]
public class WhenUnansweredEndToEndTests(HoldQueueHostFixture host) : HoldQueueScenario(host, host.VoiceApi)
{
    [Theory]
    [InlineData("busy")]
    [InlineData("timeout")]
    [InlineData("unanswered")]
    [InlineData("rejected")]
    public async Task A_failed_connect_goes_to_voicemail_recorded_on_the_same_call_and_counted_as_a_voicemail(string failure)
    {
        var (tracking, agent) = ("4477009700" + Code(failure), "4477009701" + Code(failure));
        var id = "unanswered-vm-" + failure;
        await PutCampaignAsync(id, tracking, agent,
            new JsonObject { ["then"] = "voicemail", ["thenMessage"] = "Sorry we missed you. Leave a message after the tone, then press hash." });
        var call = new CallEvents("CON-U-" + Guid.NewGuid(), tracking, "447700970299", agent);

        var connect = await AnswerAsync(call);
        var baseUrl = BaseOf(connect);
        GoldenNcco.AssertMatches("in-hours-connect-when-unanswered", Encoding.UTF8.GetBytes(connect.ToJsonString()),
            new Dictionary<string, string> { ["base"] = baseUrl, ["tracking"] = tracking, ["agent"] = agent });
        await EventsAsync(call.Inbound("started", 0), call.Inbound("answered", 0.2), call.AgentLeg("started", 1), call.AgentLeg("ringing", 1.5));

        // Vonage retries a webhook it got no answer to: the retry gets the same NCCO and changes nothing more.
        var tokens = new Dictionary<string, string> { ["base"] = baseUrl, ["call"] = call.ConversationUuid };
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var reply = await SignedAsync("api/event", call.AgentLeg(failure, 31));
            Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
            GoldenNcco.AssertMatches("unanswered-voicemail", await reply.Content.ReadAsByteArrayAsync(), tokens);
        }

        var recording = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["conversation_uuid"] = call.ConversationUuid,
            ["recording_uuid"] = Guid.NewGuid().ToString(),
            ["recording_url"] = "https://api.nexmo.com/v1/files/" + Guid.NewGuid(),
            ["start_time"] = CallEvents.Time(35),
            ["end_time"] = CallEvents.Time(50),
            ["size"] = 12345,
        });
        Assert.Equal(HttpStatusCode.NoContent, (await SignedAsync("api/recording?call=" + call.ConversationUuid, recording)).StatusCode);
        await EventsAsync(call.AgentLeg("completed", 31.1, new() { ["duration"] = "0", ["price"] = "0", ["rate"] = "0.01000000" }),
            call.Inbound("completed", 51, CallEvents.Billing(0.2, 51, "0.00400000")));

        var record = await ProcessedAsync(call.ConversationUuid);
        Assert.Equal("Voicemail", record.Outcome);
        Assert.Equal("voicemail", record.HoldResult);
        Assert.Null(record.HoldEnteredAt);
        Assert.NotNull(record.RecordingUrl);
        Assert.Empty(VoiceApi.Server.RequestsTo("/v1/calls/" + call.InboundUuid, "PUT"));
    }

    [Fact]
    public async Task A_failed_connect_with_then_message_hears_the_message_and_keeps_the_connect_outcome()
    {
        var (tracking, agent) = ("447700971001", "447700971101");
        await PutCampaignAsync("unanswered-message", tracking, agent,
            new JsonObject { ["then"] = "message", ["thenMessage"] = "Sorry, nobody can take your call. Please call back after nine." });
        var call = new CallEvents("CON-U-" + Guid.NewGuid(), tracking, "447700971299", agent);
        var baseUrl = BaseOf(await AnswerAsync(call));
        await EventsAsync(call.Inbound("answered", 0.2), call.AgentLeg("ringing", 1.5));

        var reply = await SignedAsync("api/event", call.AgentLeg("busy", 3));

        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        GoldenNcco.AssertMatches("unanswered-message", await reply.Content.ReadAsByteArrayAsync(),
            new Dictionary<string, string> { ["base"] = baseUrl, ["call"] = call.ConversationUuid });
        await EventsAsync(call.AgentLeg("completed", 3.1), call.Inbound("completed", 8, CallEvents.Billing(0.2, 8, "0.00100000")));
        var record = await ProcessedAsync(call.ConversationUuid);
        Assert.Equal("Busy", record.Outcome);
        Assert.Equal("message", record.HoldResult);
    }

    [Fact]
    public async Task Without_the_setting_the_connect_stays_asynchronous_and_a_failed_connect_gets_no_ncco()
    {
        var (tracking, agent) = ("447700972001", "447700972101");
        await PutCampaignAsync("unanswered-absent", tracking, agent, whenUnanswered: null);
        var call = new CallEvents("CON-U-" + Guid.NewGuid(), tracking, "447700972299", agent);

        var connect = (await AnswerAsync(call)).Single(x => x?["action"]?.GetValue<string>() == "connect")!;

        Assert.Null(connect["eventType"]);
        await EventsAsync(call.Inbound("answered", 0.2));
        Assert.Equal(HttpStatusCode.NoContent, (await SignedAsync("api/event", call.AgentLeg("busy", 3))).StatusCode);
    }

    [Fact]
    public async Task A_bad_whenUnanswered_is_a_400_naming_the_field_and_nothing_is_saved()
    {
        var response = await PutCampaignRawAsync("unanswered-bad", "447700973001", "447700973101", new JsonObject { ["then"] = "forward" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("whenUnanswered.then", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Client.GetAsync("api/campaigns/unanswered-bad")).StatusCode);
    }

    private static string Code(string failure) => failure switch { "busy" => "01", "timeout" => "02", "unanswered" => "03", _ => "04" };

    private static string BaseOf(JsonArray ncco)
    {
        var eventUrl = ncco.Single(x => x?["action"]?.GetValue<string>() == "connect")!["eventUrl"]![0]!.GetValue<string>();
        return eventUrl[..eventUrl.IndexOf("/api/event", StringComparison.Ordinal)];
    }

    private async Task PutCampaignAsync(string id, string tracking, string agent, JsonObject? whenUnanswered)
    {
        var response = await PutCampaignRawAsync(id, tracking, agent, whenUnanswered);
        Assert.True(response.IsSuccessStatusCode, $"campaign {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task<HttpResponseMessage> PutCampaignRawAsync(string id, string tracking, string agent, JsonObject? whenUnanswered)
    {
        var campaign = new JsonObject
        {
            ["id"] = id,
            ["name"] = id,
            ["trackingNumber"] = "+" + tracking,
            ["agentNumber"] = "+" + agent,
        };
        if (whenUnanswered is not null)
        {
            campaign["whenUnanswered"] = whenUnanswered;
        }

        using var request = new HttpRequestMessage(HttpMethod.Put, "api/campaigns/" + id) { Content = JsonBody.From(campaign) };
        return await Host.Client.SendAsync(request);
    }

    private async Task<CallRecord> ProcessedAsync(string callId)
    {
        var table = Host.Tables.GetTableClient(StorageNames.CallsTable);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var row = await table.GetEntityIfExistsAsync<CallRecord>(callId, CallRecord.RowKeyValue);
            if (row.HasValue && row.Value!.ProcessedAt is not null)
            {
                return row.Value;
            }

            Assert.True(DateTime.UtcNow < deadline, $"call {callId} not processed in time");
            await Task.Delay(200);
        }
    }
}

using System.Text.Json;
using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.HoldQueue;
using CallTracking.Functions.Processing;
using Microsoft.Extensions.Options;
using Xunit;

namespace CallTracking.Tests.HoldQueue;

/// <summary>Issue 14 without storage: the whenBusy setting's validation, the hold NCCOs, the hold outcomes and their mappings.</summary>
public class HoldQueueUnitTests
{
    private static readonly CampaignValidator Validator = new(Options.Create(new CallTrackingOptions { DefaultCountry = "GB" }));

    private static CampaignInput Input(WhenBusyInput whenBusy) => new()
    {
        Id = "held",
        Name = "Held",
        TrackingNumber = "+447700900001",
        AgentNumber = "+447700900100",
        WhenBusy = whenBusy,
    };

    [Fact]
    public void A_valid_whenBusy_is_kept_and_survives_the_stored_json()
    {
        var campaign = Validator.Validate(Input(new WhenBusyInput
        {
            HoldMusicUrl = " https://example.com/hold.mp3 ",
            Message = "Please hold.",
            MaxWaitSeconds = 120,
            Then = "Message",
            ThenMessage = "Call us back later.",
        }));

        var expected = new WhenBusy
        {
            HoldMusicUrl = "https://example.com/hold.mp3",
            Message = "Please hold.",
            MaxWaitSeconds = 120,
            Then = WhenBusyThen.Message,
            ThenMessage = "Call us back later.",
        };
        Assert.Equal(expected, campaign.WhenBusy);
        var stored = JsonSerializer.Deserialize<Campaign>(JsonSerializer.Serialize(campaign, JsonDefaults.Options), JsonDefaults.Options)!;
        Assert.Equal(expected, stored.WhenBusy);
    }

    [Fact]
    public void Defaults_are_five_minutes_then_voicemail_and_absent_means_no_hold_queue()
    {
        var whenBusy = Validator.Validate(Input(new WhenBusyInput { HoldMusicUrl = "https://example.com/hold.mp3" })).WhenBusy!;
        Assert.Equal(300, whenBusy.MaxWaitSeconds);
        Assert.Equal(WhenBusyThen.Voicemail, whenBusy.Then);
        Assert.Null(Validator.Validate(Input(null!) with { WhenBusy = null }).WhenBusy);
    }

    [Theory]
    [InlineData(null, 300, null, null, "whenBusy.holdMusicUrl")]
    [InlineData("http://example.com/hold.mp3", 300, null, null, "whenBusy.holdMusicUrl")]
    [InlineData("hold.mp3", 300, null, null, "whenBusy.holdMusicUrl")]
    [InlineData("https://example.com/hold.mp3", 9, null, null, "whenBusy.maxWaitSeconds")]
    [InlineData("https://example.com/hold.mp3", 3601, null, null, "whenBusy.maxWaitSeconds")]
    [InlineData("https://example.com/hold.mp3", 300, "forward", null, "whenBusy.then")]
    [InlineData("https://example.com/hold.mp3", 300, "message", null, "whenBusy.thenMessage")]
    public void A_bad_whenBusy_names_the_field(string? url, int maxWait, string? then, string? thenMessage, string field)
    {
        var ex = Assert.Throws<ValidationException>(() => Validator.Validate(Input(new WhenBusyInput
        {
            HoldMusicUrl = url,
            MaxWaitSeconds = maxWait,
            Then = then,
            ThenMessage = thenMessage,
        })));

        Assert.Equal(field, Assert.Single(ex.Errors).Field);
    }

    [Fact]
    public void The_hold_ncco_plays_the_notice_the_message_and_the_music_in_a_loop_without_a_connect()
    {
        var campaign = Validator.Validate(Input(new WhenBusyInput { HoldMusicUrl = "https://example.com/hold.mp3" })) with
        {
            RecordingNotice = new RecordingNotice { Text = "This call may be recorded." },
        };
        var compiled = new CompiledCampaign(campaign);

        using var ncco = JsonDocument.Parse(HoldNcco.OnHold(compiled, campaign.WhenBusy!, withNotice: true));

        Assert.Equal(
            """[{"action":"talk","text":"This call may be recorded."},{"action":"talk","text":"All our agents are busy. Please hold."},{"action":"stream","streamUrl":["https://example.com/hold.mp3"],"loop":0}]""",
            ncco.RootElement.GetRawText());
    }

    [Fact]
    public void The_transfer_to_the_agent_connects_synchronously_with_the_call_id_on_its_webhooks()
    {
        var campaign = Validator.Validate(Input(new WhenBusyInput { HoldMusicUrl = "https://example.com/hold.mp3" }));

        var ncco = HoldNcco.ConnectToAgent(new CompiledCampaign(campaign), "https://app.example/", "CON-1");

        Assert.Equal(
            """[{"action":"connect","from":"447700900001","timeout":30,"eventType":"synchronous","eventUrl":["https://app.example/api/event?call=CON-1"],"endpoint":[{"type":"phone","number":"447700900100"}]}]""",
            ncco.ToJsonString());
    }

    [Fact]
    public void After_the_maximum_wait_voicemail_beeps_and_records_to_the_same_call()
    {
        var ncco = HoldNcco.AfterMaxWait(new WhenBusy { HoldMusicUrl = "https://example.com/hold.mp3" }, "https://app.example", "CON-1");

        var record = ncco[1]!;
        Assert.Equal("record", record["action"]!.GetValue<string>());
        Assert.True(record["beepStart"]!.GetValue<bool>());
        Assert.Equal("https://app.example/api/recording?call=CON-1", record["eventUrl"]![0]!.GetValue<string>());
    }

    [Theory]
    [InlineData(true, null, "answered", CallOutcome.AnsweredAfterHold)]
    [InlineData(true, null, null, CallOutcome.AbandonedOnHold)]
    [InlineData(true, "transferred", "cancelled", CallOutcome.Abandoned)]
    [InlineData(true, "voicemail", null, CallOutcome.Voicemail)]
    [InlineData(true, "message", null, CallOutcome.NotConnected)]
    [InlineData(false, null, "answered", CallOutcome.Answered)]
    public void Hold_outcomes(bool held, string? holdResult, string? agentStatus, CallOutcome expected)
    {
        var start = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var call = new CallRecord
        {
            PartitionKey = "CON-1",
            Route = "connect",
            InboundStatus = "completed",
            InboundEndTime = start.AddSeconds(100),
            AgentLegUuid = agentStatus is null ? null : "ag-1",
            AgentStatus = agentStatus,
            AgentAnsweredAt = agentStatus == "answered" ? start.AddSeconds(50) : null,
            HoldEnteredAt = held ? start.AddSeconds(5) : null,
            HoldEndedAt = holdResult is null ? null : start.AddSeconds(45),
            HoldResult = holdResult,
        };

        Assert.Equal(expected, CallOutcomeClassifier.Classify(call).Outcome);
        Assert.Equal(held ? (holdResult is null ? 95 : 40) : 0, ProcessedCallMapper.HoldSecondsOf(call));
    }

    [Fact]
    public void Impact_never_reports_a_voicemail_or_a_caller_lost_on_hold_as_answered()
    {
        Assert.Equal("ANSWER", ImpactSink.CallStatusOf(CallOutcome.AnsweredAfterHold));
        Assert.Equal("CANCEL", ImpactSink.CallStatusOf(CallOutcome.AbandonedOnHold));
        Assert.Equal("INCOMPLETE", ImpactSink.CallStatusOf(CallOutcome.Voicemail));
    }

    [Theory]
    [InlineData("?call=CON-1", "CON-1")]
    [InlineData("?x=1&call=CON%2D2", "CON-2")]
    [InlineData("", null)]
    [InlineData("?call=", null)]
    public void The_call_marker_is_read_from_the_webhook_query(string query, string? expected) =>
        Assert.Equal(expected, HoldEventHook.CallFromQuery(query));
}

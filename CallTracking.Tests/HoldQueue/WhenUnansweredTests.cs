using System.Text.Json;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using Microsoft.Extensions.Options;
using Xunit;

namespace CallTracking.Tests.HoldQueue;

/// <summary>Issue 14 item 5 without storage: the whenUnanswered setting's validation and its outcome.</summary>
public class WhenUnansweredTests
{
    private static readonly CampaignValidator Validator = new(Options.Create(new CallTrackingOptions { DefaultCountry = "GB" }));

    private static CampaignInput Input(WhenUnansweredInput? whenUnanswered) => new()
    {
        Id = "unanswered",
        Name = "Unanswered",
        TrackingNumber = "+447700900001",
        AgentNumber = "+447700900100",
        WhenUnanswered = whenUnanswered,
    };

    [Fact]
    public void A_valid_whenUnanswered_is_kept_and_survives_the_stored_json_and_defaults_to_voicemail()
    {
        var campaign = Validator.Validate(Input(new WhenUnansweredInput { Then = " Message ", ThenMessage = "Call us back later." }));

        var expected = new WhenUnanswered { Then = WhenBusyThen.Message, ThenMessage = "Call us back later." };
        Assert.Equal(expected, campaign.WhenUnanswered);
        var json = JsonSerializer.Serialize(campaign, JsonDefaults.Options);
        Assert.Equal(expected, JsonSerializer.Deserialize<Campaign>(json, JsonDefaults.Options)!.WhenUnanswered);
        Assert.Equal(new WhenUnanswered(), Validator.Validate(Input(new WhenUnansweredInput())).WhenUnanswered);
        Assert.Null(Validator.Validate(Input(null)).WhenUnanswered);
    }

    [Fact]
    public void An_exported_campaign_imports_to_the_same_setting()
    {
        var campaign = Validator.Validate(Input(new WhenUnansweredInput { Then = "voicemail", ThenMessage = "Leave a message." }));
        var exported = JsonSerializer.Serialize(campaign, JsonDefaults.Options);

        var reimported = Validator.Validate(JsonSerializer.Deserialize<CampaignInput>(exported, JsonDefaults.Options)!);

        Assert.Equal(campaign.WhenUnanswered, reimported.WhenUnanswered);
    }

    [Theory]
    [InlineData("forward", null, "whenUnanswered.then")]
    [InlineData("message", null, "whenUnanswered.thenMessage")]
    [InlineData("message", "  ", "whenUnanswered.thenMessage")]
    public void A_bad_whenUnanswered_names_the_field(string? then, string? thenMessage, string field)
    {
        var ex = Assert.Throws<ValidationException>(() => Validator.Validate(Input(new WhenUnansweredInput { Then = then, ThenMessage = thenMessage })));

        Assert.Equal(field, Assert.Single(ex.Errors).Field);
    }

    [Fact]
    public void WhenUnanswered_with_whenBusy_is_rejected_because_the_hold_queue_already_decides()
    {
        var input = Input(new WhenUnansweredInput()) with { WhenBusy = new WhenBusyInput { HoldMusicUrl = "https://example.com/hold.mp3" } };

        var ex = Assert.Throws<ValidationException>(() => Validator.Validate(input));

        Assert.Equal("whenUnanswered", Assert.Single(ex.Errors).Field);
    }

    [Theory]
    [InlineData("voicemail", CallOutcome.Voicemail)]
    [InlineData("message", CallOutcome.Busy)]
    public void An_unanswered_connect_sent_to_voicemail_is_a_voicemail_and_one_sent_to_the_message_keeps_the_connect_outcome(
        string holdResult, CallOutcome expected)
    {
        var call = new CallRecord
        {
            PartitionKey = "CON-1",
            Route = CallOutcomeClassifier.ConnectRoute,
            AgentLegUuid = "LEG-A",
            AgentStatus = "busy",
            HoldResult = holdResult,
        };

        Assert.Equal(expected, CallOutcomeClassifier.OutcomeOf(call));
    }
}

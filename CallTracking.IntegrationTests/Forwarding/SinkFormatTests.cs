using CallTracking.Functions.Forwarding;
using CallTracking.Functions.Processing;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace CallTracking.Tests.Forwarding;

public class SinkFormatTests
{
    [Theory]
    [InlineData("{\"status\":1,\"error\":null}", null)]
    [InlineData("1", null)]
    [InlineData("0", DeliveryStatus.Failed)]
    [InlineData("{\"status\":0,\"error\":\"token, missing or empty\"}", DeliveryStatus.Failed)]
    [InlineData("{\"status\":0,\"error\":\"Service temporarily unavailable, try again\"}", DeliveryStatus.Pending)]
    [InlineData("<html>gateway</html>", DeliveryStatus.Pending)]
    public void Mixpanel_verbose_bodies_decide_delivery_despite_http_200(string body, DeliveryStatus? expected)
    {
        Assert.Equal(expected, MixpanelClient.ReadVerboseBody(200, body)?.Status);
    }

    [Theory]
    [InlineData("{\"Status\":\"OK\"}", null)]
    [InlineData("", null)]
    [InlineData("{\"Status\":\"ERROR\",\"Message\":\"Invalid CampaignId\"}", DeliveryStatus.Failed)]
    public void Impact_bodies_other_than_status_ok_are_refusals(string body, DeliveryStatus? expected)
    {
        Assert.Equal(expected, ImpactSink.ReadBody(200, body)?.Status);
    }

    [Theory]
    [InlineData(CallOutcome.Answered, "ANSWER")]
    [InlineData(CallOutcome.Busy, "CONGESTION")]
    [InlineData(CallOutcome.Unanswered, "INCOMPLETE")]
    [InlineData(CallOutcome.Timeout, "INCOMPLETE")]
    [InlineData(CallOutcome.Rejected, "FAILURE")]
    [InlineData(CallOutcome.Failed, "FAILURE")]
    [InlineData(CallOutcome.Abandoned, "CANCEL")]
    [InlineData(CallOutcome.NotConnected, "NO_TRANSFER_ATTEMPT")]
    public void Every_outcome_has_an_explicit_impact_call_status(CallOutcome outcome, string expected)
    {
        Assert.Equal(expected, ImpactSink.CallStatusOf(outcome));
    }

    [Fact]
    public void Only_a_call_the_agent_answered_maps_to_answer()
    {
        // Answered straight away or after the hold queue; never a voicemail or an abandoned wait.
        Assert.Equal([CallOutcome.Answered, CallOutcome.AnsweredAfterHold],
            Enum.GetValues<CallOutcome>().Where(o => ImpactSink.CallStatusOf(o) == "ANSWER"));
    }

    [Theory]
    [InlineData("+14155550123", "4155550123")]
    [InlineData("+447700900123", "447700900123")]
    [InlineData("+4930123456", "4930123456")]
    public void Impact_phone_numbers_are_ten_digits_for_nanp_else_international_digits(string e164, string expected)
    {
        Assert.Equal(expected, ImpactSink.PhoneDigits(e164));
    }

    [Theory]
    [InlineData("mobile", "Mobile")]
    [InlineData("landline", "Landline")]
    [InlineData("voip", "")]
    [InlineData(null, "")]
    public void Impact_phone_type_is_landline_mobile_or_empty(string? lineType, string expected)
    {
        Assert.Equal(expected, ImpactSink.PhoneTypeOf(lineType));
    }

    [Fact]
    public void Message_ids_are_deterministic_short_and_distinct_per_purpose()
    {
        var callId = "CON-aaaaaaaa-bbbb-cccc-dddd-0123456789ab";

        var id = CallFacts.MessageId(callId, "mixpanel-event");

        Assert.Equal(id, CallFacts.MessageId(callId, "mixpanel-event"));
        Assert.Equal(32, id.Length);
        Assert.Matches("^[0-9a-f]+$", id);
        Assert.NotEqual(id, CallFacts.MessageId(callId, "other"));
        Assert.NotEqual(id, CallFacts.MessageId(callId + "x", "mixpanel-event"));
    }

    [Fact]
    public void Errors_never_keep_secrets_and_stay_short()
    {
        var text = "HTTP 401: token abc123 rejected " + new string('x', 1000);

        var clean = SinkHttp.Redact(text, ["abc123", null, ""]);

        Assert.DoesNotContain("abc123", clean);
        Assert.StartsWith("HTTP 401: token *** rejected", clean);
        Assert.True(clean!.Length <= 301);
    }
}

[Collection(AzuriteCollection.Name)]
public class ForwardingOptionsTests(AzuriteFixture azurite)
{
    [Fact]
    public void Sinks_without_settings_are_off_and_valid()
    {
        using var services = TestServices.Create(azurite);

        Assert.False(services.GetRequiredService<IOptions<MixpanelOptions>>().Value.IsConfigured);
        Assert.False(services.GetRequiredService<IOptions<ImpactOptions>>().Value.IsConfigured);
        Assert.False(services.GetRequiredService<IOptions<SegmentOptions>>().Value.IsConfigured);
        Assert.Empty(services.GetRequiredService<CallForwarder>().EnabledSinks);
    }

    [Theory]
    [InlineData("Impact:ApiBaseUrl", "not a url", "ApiBaseUrl")]
    [InlineData("Mixpanel:ApiBaseUrl", "not a url", "ApiBaseUrl")]
    [InlineData("Forwarding:AttemptTimeoutSeconds", "60", "TotalTimeoutSeconds")]
    public void A_half_configured_sink_fails_validation_naming_the_setting(string key, string value, string member)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key.StartsWith("Mixpanel", StringComparison.Ordinal))
        {
            settings["Mixpanel:Token"] = "token";
        }

        if (key.StartsWith("Impact", StringComparison.Ordinal))
        {
            settings["Impact:AccountSid"] = "IRabc";
            settings["Impact:AuthToken"] = "token";
        }

        using var services = TestServices.Create(azurite, settings);

        var error = Assert.Throws<OptionsValidationException>(() =>
        {
            _ = services.GetRequiredService<IOptions<ImpactOptions>>().Value;
            _ = services.GetRequiredService<IOptions<MixpanelOptions>>().Value;
            _ = services.GetRequiredService<IOptions<ForwardingOptions>>().Value;
        });
        Assert.Contains(member, error.Message);
        Assert.DoesNotContain("IRabc", error.Message);
    }
}

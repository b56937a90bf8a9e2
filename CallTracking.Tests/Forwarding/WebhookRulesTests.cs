using System.Net;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Forwarding;
using Microsoft.Extensions.Options;
using Xunit;

namespace CallTracking.Tests.Forwarding;

public class WebhookRulesTests
{
    private const string Secret = "whsec-0123456789abcdef";

    private static readonly CampaignValidator Validator = new(Options.Create(new CallTrackingOptions { DefaultCountry = "GB" }));

    private static CampaignInput Valid() => new()
    {
        Id = "spring-tv",
        Name = "Spring TV",
        TrackingNumber = "07700 900001",
        AgentNumber = "447700900100",
    };

    [Fact]
    public void The_signature_is_hex_hmac_sha256_of_timestamp_dot_body()
    {
        // Independently computed: printf '1767225600.{"a":1}' | openssl dgst -sha256 -hmac whsec-0123456789abcdef
        var header = WebhookSignature.Create(Secret, 1767225600, "{\"a\":1}");

        Assert.StartsWith("t=1767225600,v1=", header, StringComparison.Ordinal);
        using var hmac = new System.Security.Cryptography.HMACSHA256(System.Text.Encoding.UTF8.GetBytes(Secret));
        var expected = Convert.ToHexStringLower(hmac.ComputeHash(System.Text.Encoding.UTF8.GetBytes("1767225600.{\"a\":1}")));
        Assert.Equal("t=1767225600,v1=" + expected, header);
    }

    [Fact]
    public void Verification_refuses_another_body_another_secret_and_an_old_timestamp()
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(1767225600);
        var header = WebhookSignature.Create(Secret, at.ToUnixTimeSeconds(), "{\"a\":1}");
        var tolerance = TimeSpan.FromMinutes(5);

        Assert.True(WebhookSignature.Verify(Secret, header, "{\"a\":1}", at.AddMinutes(1), tolerance));
        Assert.False(WebhookSignature.Verify(Secret, header, "{\"a\":2}", at, tolerance));
        Assert.False(WebhookSignature.Verify("whsec-another-secret-000", header, "{\"a\":1}", at, tolerance));
        Assert.False(WebhookSignature.Verify(Secret, header, "{\"a\":1}", at.AddMinutes(6), tolerance));
        Assert.False(WebhookSignature.Verify(Secret, "v1=abc", "{\"a\":1}", at, tolerance));
    }

    [Fact]
    public void Delivery_ids_are_stable_per_call_and_target()
    {
        var target = new Uri("https://hooks.example.com/calls");

        Assert.Equal(WebhookRequest.DeliveryId("CON-1", "webhook", target), WebhookRequest.DeliveryId("CON-1", "webhook", target));
        Assert.NotEqual(WebhookRequest.DeliveryId("CON-1", "webhook", target), WebhookRequest.DeliveryId("CON-2", "webhook", target));
        Assert.NotEqual(WebhookRequest.DeliveryId("CON-1", "webhook", target),
            WebhookRequest.DeliveryId("CON-1", "webhook-campaign", new Uri("https://crm.example.org/hook")));
    }

    [Theory]
    [InlineData("http://hooks.example.com/calls", "absolute https")]
    [InlineData("hooks.example.com/calls", "absolute https")]
    [InlineData("https://user:pw@hooks.example.com/", "absolute https")]
    [InlineData("https://localhost/hook", "public address")]
    [InlineData("https://127.0.0.1/hook", "public address")]
    [InlineData("https://10.1.2.3/hook", "public address")]
    [InlineData("https://192.168.1.20/hook", "public address")]
    [InlineData("https://169.254.169.254/metadata", "public address")]
    [InlineData("https://[::1]/hook", "public address")]
    [InlineData("https://[fd00::1]/hook", "public address")]
    public void A_campaign_callback_url_must_be_public_https(string url, string message)
    {
        var error = Assert.Single(Assert.Throws<ValidationException>(() => Validator.Validate(Valid() with { CallbackUrl = url })).Errors);

        Assert.Equal("callbackUrl", error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_public_https_callback_url_and_a_callback_policy_are_kept()
    {
        var campaign = Validator.Validate(Valid() with
        {
            CallbackUrl = " https://crm.example.org/hooks/calls?source=ct ",
            Callback = new CallbackPolicyInput { Attempts = 3, IntervalMinutes = 10, OnlyWhenOpen = false },
        });

        Assert.Equal("https://crm.example.org/hooks/calls?source=ct", campaign.CallbackUrl);
        Assert.Equal(new CallbackPolicy { Attempts = 3, IntervalMinutes = 10, OnlyWhenOpen = false }, campaign.Callback);
        Assert.Equal(new CallbackPolicy { Attempts = 1, IntervalMinutes = 15, OnlyWhenOpen = true },
            Validator.Validate(Valid() with { Callback = new CallbackPolicyInput() }).Callback);
    }

    [Fact]
    public void Every_bad_callback_field_is_named()
    {
        var errors = Assert.Throws<ValidationException>(() => Validator.Validate(Valid() with
        {
            Callback = new CallbackPolicyInput { Attempts = 6, IntervalMinutes = 0 },
            CallbackUrl = "ftp://x",
        })).Errors;

        Assert.Equal(["callback.attempts", "callback.intervalMinutes", "callbackUrl"], errors.Select(e => e.Field).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("10.0.0.1", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("100.64.0.1", true)]
    [InlineData("::ffff:192.168.0.1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2001:4860:4860::8888", false)]
    public void Private_addresses_are_recognised(string address, bool isPrivate)
    {
        Assert.Equal(isPrivate, PrivateAddresses.IsPrivate(IPAddress.Parse(address)));
    }

    [Fact]
    public void A_url_without_the_secret_is_a_settings_problem()
    {
        var check = new SinkSettingsCheck(Options.Create(new ImpactOptions()),
            Options.Create(new WebhookOptions { Url = "https://hooks.example.com/calls" }));

        Assert.Equal("Webhooks:Secret", Assert.Single(check.Problems()).Setting);
    }
}

using System.Text;
using CallTracking.Functions.Common;
using CallTracking.Functions.Vonage;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace CallTracking.Tests.Vonage;

public class VonageSignatureVerifierTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"status":"completed","uuid":"leg-1","conversation_uuid":"CON-1"}""");

    private static VonageSignatureVerifier Verifier(Action<VonageOptions>? configure = null)
    {
        var options = new VonageOptions { SignatureSecret = VonageTokens.Secret };
        configure?.Invoke(options);
        return new VonageSignatureVerifier(Options.Create(options), TimeProvider.System, new JtiReplayGuard(1_000));
    }

    private static string Bearer(string token) => "Bearer " + token;

    [Fact]
    public void A_token_signed_by_Vonage_for_this_body_is_valid()
    {
        var result = Verifier().Verify(Bearer(VonageTokens.Hs256(VonageTokens.Claims(Body))), "POST", Body);

        Assert.True(result.IsValid, result.Reason);
        Assert.NotNull(result.Jti);
    }

    [Fact]
    public void A_short_secret_still_verifies()
    {
        // Signature secrets are chosen by the account holder; the JWT library's 256-bit minimum must not apply.
        var verifier = Verifier(o => o.SignatureSecret = "short");
        var token = VonageTokens.Hs256(VonageTokens.Claims(Body), secret: "short");

        Assert.True(verifier.Verify(Bearer(token), "POST", Body).IsValid);
    }

    [Fact]
    public void A_token_signed_with_another_secret_is_rejected()
    {
        var result = Verifier().Verify(Bearer(VonageTokens.Hs256(VonageTokens.Claims(Body), secret: "not-the-secret")), "POST", Body);

        Assert.False(result.IsValid);
        Assert.Equal("signature mismatch", result.Reason);
    }

    [Theory]
    [InlineData('A')]
    [InlineData('B')]
    [InlineData('-')]
    [InlineData('_')]
    public void A_signature_with_a_malformed_last_character_is_a_mismatch_not_an_exception(char last)
    {
        // 43 base64url characters hold 32 bytes: most final characters carry bits that do not fit, which the decoder
        // reports by throwing (found by the bad-input sweep as a 500).
        var token = VonageTokens.Hs256(VonageTokens.Claims(Body));
        var tampered = token[..^1] + (token[^1] == last ? (last == 'A' ? 'B' : 'A') : last);

        Assert.False(Verifier().Verify(Bearer(tampered), "POST", Body).IsValid);
    }

    [Fact]
    public void A_token_with_iat_in_milliseconds_is_rejected_not_an_exception()
    {
        var claims = VonageTokens.Claims(Body);
        claims["iat"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.False(Verifier().Verify(Bearer(VonageTokens.Hs256(claims)), "POST", Body).IsValid);
    }

    [Fact]
    public void Alg_none_is_rejected()
    {
        var result = Verifier().Verify(Bearer(VonageTokens.Unsigned(VonageTokens.Claims(Body))), "POST", Body);

        Assert.False(result.IsValid);
        Assert.Contains("alg", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Hs256_label_with_an_empty_signature_is_rejected()
    {
        var token = VonageTokens.Hs256(VonageTokens.Claims(Body));
        var stripped = token[..(token.LastIndexOf('.') + 1)];

        Assert.False(Verifier().Verify(Bearer(stripped), "POST", Body).IsValid);
    }

    [Fact]
    public void An_RS256_token_is_rejected()
    {
        var result = Verifier().Verify(Bearer(VonageTokens.Rs256(VonageTokens.Claims(Body))), "POST", Body);

        Assert.False(result.IsValid);
        Assert.Contains("RS256", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_old_iat_is_rejected()
    {
        var claims = VonageTokens.Claims(Body, DateTimeOffset.UtcNow.AddSeconds(-301));

        var result = Verifier().Verify(Bearer(VonageTokens.Hs256(claims)), "POST", Body);

        Assert.False(result.IsValid);
        Assert.Equal("iat is too old", result.Reason);
    }

    [Fact]
    public void The_age_window_is_configurable()
    {
        var claims = VonageTokens.Claims(Body, DateTimeOffset.UtcNow.AddSeconds(-600));

        Assert.True(Verifier(o => o.MaxSignatureAgeSeconds = 900).Verify(Bearer(VonageTokens.Hs256(claims)), "POST", Body).IsValid);
    }

    [Fact]
    public void An_iat_in_the_future_beyond_the_clock_skew_is_rejected_but_within_it_accepted()
    {
        var far = VonageTokens.Claims(Body, DateTimeOffset.UtcNow.AddSeconds(120));
        var near = VonageTokens.Claims(Body, DateTimeOffset.UtcNow.AddSeconds(10));
        var verifier = Verifier(o => o.ClockSkewSeconds = 30);

        Assert.Equal("iat is in the future", verifier.Verify(Bearer(VonageTokens.Hs256(far)), "POST", Body).Reason);
        Assert.True(verifier.Verify(Bearer(VonageTokens.Hs256(near)), "POST", Body).IsValid);
    }

    [Fact]
    public void A_tampered_body_is_rejected()
    {
        var token = VonageTokens.Hs256(VonageTokens.Claims(Body));
        var tampered = Encoding.UTF8.GetBytes("""{"status":"completed","uuid":"leg-1","conversation_uuid":"CON-2"}""");

        var result = Verifier().Verify(Bearer(token), "POST", tampered);

        Assert.False(result.IsValid);
        Assert.Equal("payload_hash does not match the body", result.Reason);
    }

    [Fact]
    public void A_post_without_payload_hash_is_rejected_but_a_get_is_checked_without_it()
    {
        var claims = VonageTokens.Claims(Body);
        claims.Remove("payload_hash");
        var verifier = Verifier();

        Assert.Equal("missing payload_hash", verifier.Verify(Bearer(VonageTokens.Hs256(claims)), "POST", Body).Reason);
        Assert.True(verifier.Verify(Bearer(VonageTokens.Hs256(VonageTokens.Claims(Body).Also(c => c.Remove("payload_hash")))), "GET", []).IsValid);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer not-a-jwt")]
    public void A_missing_or_malformed_authorization_header_is_rejected(string? header)
    {
        Assert.False(Verifier().Verify(header, "POST", Body).IsValid);
    }

    [Fact]
    public void A_replayed_jti_is_rejected_until_released()
    {
        var verifier = Verifier();
        var token = Bearer(VonageTokens.Hs256(VonageTokens.Claims(Body)));

        var first = verifier.Verify(token, "POST", Body);
        var replay = verifier.Verify(token, "POST", Body);
        verifier.Release(first.Jti);
        var retryAfterOurFailure = verifier.Verify(token, "POST", Body);

        Assert.True(first.IsValid);
        Assert.Equal("jti already used (replay)", replay.Reason);
        Assert.True(retryAfterOurFailure.IsValid);
    }

    [Fact]
    public void A_rejected_token_does_not_occupy_the_replay_guard()
    {
        var verifier = Verifier();
        var claims = VonageTokens.Claims(Body);
        var token = Bearer(VonageTokens.Hs256(claims));

        Assert.False(verifier.Verify(token, "POST", [1, 2, 3]).IsValid); // wrong body first
        Assert.True(verifier.Verify(token, "POST", Body).IsValid);
    }

    [Fact]
    public void Wrong_issuer_and_wrong_api_key_are_rejected()
    {
        var wrongIssuer = VonageTokens.Claims(Body).Also(c => c["iss"] = "Mallory");
        var verifier = Verifier(o => o.ApiKey = "abc123");
        var otherAccount = VonageTokens.Claims(Body).Also(c => c["api_key"] = "zzz999");

        Assert.StartsWith("unexpected iss", verifier.Verify(Bearer(VonageTokens.Hs256(wrongIssuer)), "POST", Body).Reason, StringComparison.Ordinal);
        Assert.Equal("api_key does not match Vonage:ApiKey", verifier.Verify(Bearer(VonageTokens.Hs256(otherAccount)), "POST", Body).Reason);
        Assert.True(verifier.Verify(Bearer(VonageTokens.Hs256(VonageTokens.Claims(Body))), "POST", Body).IsValid);
    }

    [Fact]
    public void Missing_jti_or_iat_is_rejected()
    {
        var noJti = VonageTokens.Claims(Body).Also(c => c.Remove("jti"));
        var noIat = VonageTokens.Claims(Body).Also(c => c.Remove("iat"));

        Assert.Equal("missing jti", Verifier().Verify(Bearer(VonageTokens.Hs256(noJti)), "POST", Body).Reason);
        Assert.Equal("missing iat", Verifier().Verify(Bearer(VonageTokens.Hs256(noIat)), "POST", Body).Reason);
    }

    [Fact]
    public void A_missing_secret_degrades_the_app_instead_of_failing_start_up()
    {
        using var services = Services(Configuration(("Vonage:SignatureSecret", "")));

        var policy = services.GetRequiredService<WebhookSignaturePolicy>();
        var health = services.GetRequiredService<SettingsHealth>();

        Assert.True(policy.Verify);
        Assert.True(policy.SecretMissing);
        var problem = Assert.Single(health.Problems);
        Assert.Equal("Vonage:SignatureSecret", problem.Setting);
        Assert.True(health.IsDegraded);
    }

    [Fact]
    public void Verification_can_be_switched_off_locally_and_then_needs_no_secret()
    {
        using var services = Services(Configuration(("Vonage:VerifySignatures", "false")));

        var policy = services.GetRequiredService<WebhookSignaturePolicy>();

        Assert.False(policy.Verify);
        Assert.False(policy.SecretMissing);
        Assert.Empty(services.GetRequiredService<SettingsHealth>().Problems);
    }

    [Fact]
    public void In_azure_switching_verification_off_is_refused_and_named_in_health()
    {
        using var services = Services(Configuration(
            ("Vonage:VerifySignatures", "false"), ("Vonage:SignatureSecret", "a-secret-long-enough-for-hs256-0123456789"),
            (WebhookSignaturePolicy.AzureSiteNameSetting, "func-calltracking-prod")));

        var policy = services.GetRequiredService<WebhookSignaturePolicy>();

        Assert.True(policy.Verify);
        Assert.True(policy.SwitchOffRefused);
        Assert.Equal("Vonage:VerifySignatures", Assert.Single(services.GetRequiredService<SettingsHealth>().Problems).Setting);
    }

    private static IConfiguration Configuration(params (string Key, string? Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    private static ServiceProvider Services(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<SettingsHealth>();
        services.AddVonageWebhookSignatures();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }
}

internal static class DictionaryExtensions
{
    public static Dictionary<string, object?> Also(this Dictionary<string, object?> claims, Action<Dictionary<string, object?>> change)
    {
        change(claims);
        return claims;
    }
}

using System.ComponentModel.DataAnnotations;

namespace CallTracking.Functions.Vonage;

/// <summary>
/// The <c>Vonage__*</c> settings: webhook signatures, REST credentials and API hosts, in one class.
/// Each feature checks what it uses (<see cref="WebhookSignaturePolicy"/>, <c>EnrichmentProviderSettings</c>).
/// </summary>
public sealed class VonageOptions
{
    public const string Section = "Vonage";

    /// <summary>
    /// Verify the signed JWT on every Vonage-facing webhook. On by default; <c>false</c> is for local runs only,
    /// is logged as a warning at start-up, and is refused in Azure (<see cref="WebhookSignaturePolicy"/>).
    /// </summary>
    public bool VerifySignatures { get; set; } = true;

    /// <summary>The account's signature secret (Dashboard → API settings), not the API secret.</summary>
    public string? SignatureSecret { get; set; }

    /// <summary>Oldest accepted <c>iat</c>, seconds. Also how long a seen <c>jti</c> is remembered.</summary>
    [Range(10, 86_400)]
    public int MaxSignatureAgeSeconds { get; set; } = 300;

    /// <summary>How far in the future an <c>iat</c> may be (clock difference with Vonage), seconds.</summary>
    [Range(0, 600)]
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>How many recent <c>jti</c>s one instance remembers for its replay guard.</summary>
    [Range(1_000, 10_000_000)]
    public int ReplayCacheSize { get; set; } = 100_000;

    /// <summary>The account API key. When set, a signed webhook's <c>api_key</c> claim must match it.</summary>
    public string? ApiKey { get; set; }

    public string? ApiSecret { get; set; }

    /// <summary>REST host for Number Insight and Voice.</summary>
    [Url]
    public string ApiBaseUrl { get; set; } = "https://api.nexmo.com";

    /// <summary>
    /// Voice REST API base (transfers, outbound calls, recording downloads). Empty: the call's <c>region_url</c>, else
    /// <see cref="ApiBaseUrl"/>. When set it wins, and its host is also accepted for recording URLs (the test seam).
    /// </summary>
    public string? VoiceApiBaseUrl { get; set; }

    public string? ApplicationId { get; set; }

    /// <summary>The application's private key (PEM), for RS256 application JWTs; app settings may carry its line breaks as <c>\n</c>.</summary>
    public string? PrivateKey { get; set; }

    /// <summary>Identity Insights host: <c>https://api-eu.vonage.com</c> or <c>https://api-us.vonage.com</c>.</summary>
    [Url]
    public string IdentityInsightsBaseUrl { get; set; } = "https://api-eu.vonage.com";
}

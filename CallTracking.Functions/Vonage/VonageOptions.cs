using System.ComponentModel.DataAnnotations;

namespace CallTracking.Functions.Vonage;

/// <summary>
/// The <c>Vonage__*</c> settings shared by every Vonage feature (webhook signatures, Number Insight,
/// Identity Insights, Voice REST). Each feature validates only the settings it uses, so an unused
/// credential is never required.
/// </summary>
public sealed class VonageOptions
{
    public const string Section = "Vonage";

    /// <summary>The account's signature secret (HS256) that signs Voice webhooks.</summary>
    public string? SignatureSecret { get; set; }

    /// <summary>Off only for local use; the default is on.</summary>
    public bool VerifySignatures { get; set; } = true;

    /// <summary>Account API key (Number Insight).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Account API secret (Number Insight).</summary>
    public string? ApiSecret { get; set; }

    /// <summary>REST host for Number Insight and Voice.</summary>
    [Url]
    public string ApiBaseUrl { get; set; } = "https://api.nexmo.com";

    /// <summary>The Vonage Application id (claim <c>application_id</c> of application JWTs).</summary>
    public string? ApplicationId { get; set; }

    /// <summary>The application's private key (PEM); app settings may carry its line breaks as <c>\n</c>.</summary>
    public string? PrivateKey { get; set; }

    /// <summary>Identity Insights host: <c>https://api-eu.vonage.com</c> or <c>https://api-us.vonage.com</c>.</summary>
    [Url]
    public string IdentityInsightsBaseUrl { get; set; } = "https://api-eu.vonage.com";
}

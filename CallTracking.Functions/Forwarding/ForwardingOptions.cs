using System.ComponentModel.DataAnnotations;

namespace CallTracking.Functions.Forwarding;

/// <summary>The <c>Forwarding__*</c> settings: how hard each sink's HTTP client tries within one queue invocation.</summary>
public sealed class ForwardingOptions : IValidatableObject
{
    public const string Section = "Forwarding";

    /// <summary>Retries after the first attempt (so 2 = three attempts), on 429, 5xx, network errors and timeouts.</summary>
    [Range(1, 5)]
    public int MaxRetryAttempts { get; set; } = 2;

    /// <summary>Base delay of the exponential, jittered back-off; a Retry-After header takes precedence.</summary>
    [Range(1, 30_000)]
    public int RetryDelayMilliseconds { get; set; } = 500;

    [Range(1, 120)]
    public int AttemptTimeoutSeconds { get; set; } = 10;

    /// <summary>All attempts and waits of one send together; keep it well inside the queue's visibility timeout.</summary>
    [Range(2, 240)]
    public int TotalTimeoutSeconds { get; set; } = 30;

    /// <summary>How long a processor owns a pending delivery before a duplicate message may take it over.</summary>
    [Range(10, 3600)]
    public int ClaimSeconds { get; set; } = 120;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TotalTimeoutSeconds <= AttemptTimeoutSeconds)
        {
            yield return new ValidationResult("Must be greater than AttemptTimeoutSeconds.", [nameof(TotalTimeoutSeconds)]);
        }
    }
}

/// <summary>The <c>Mixpanel__*</c> settings; the sink is off while <see cref="Token"/> is empty.</summary>
public sealed class MixpanelOptions : IValidatableObject
{
    public const string Section = "Mixpanel";

    /// <summary>The project token (sent in every event; Mixpanel treats it as public, we still never log it).</summary>
    public string? Token { get; set; }

    /// <summary>US <c>https://api.mixpanel.com</c>; EU residency <c>https://api-eu.mixpanel.com</c>; India <c>https://api-in.mixpanel.com</c>.</summary>
    public string ApiBaseUrl { get; set; } = "https://api.mixpanel.com";

    /// <summary>Also update the caller's people profile (separate ledger entry <c>mixpanel-people</c>).</summary>
    public bool UpdateProfiles { get; set; } = true;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Token);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        !IsConfigured ? [] : SinkSettings.ValidateBaseUrl(ApiBaseUrl, nameof(ApiBaseUrl))
            .Concat(SinkSettings.ValidateSecret(Token, nameof(Token)));
}

/// <summary>
/// The <c>Impact__*</c> settings (Call Data API credentials). <see cref="AccountSid"/> turns the sink on; without
/// the auth token (deployments carry its Key Vault reference, set or not) the sink skips every call as not
/// configured and health names the token, rather than the app refusing to start.
/// </summary>
public sealed class ImpactOptions : IValidatableObject
{
    public const string Section = "Impact";

    public string? AccountSid { get; set; }

    public string? AuthToken { get; set; }

    /// <summary>Base of <c>logCallData</c>.</summary>
    public string ApiBaseUrl { get; set; } = "https://twilio.ivr.impactradius.com/calldata";

    /// <summary>Sent as <c>CallProvider</c> (≤ 64 characters).</summary>
    [StringLength(64, MinimumLength = 1)]
    public string CallProvider { get; set; } = "CallTracking";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(AccountSid);

    /// <summary>On, but without the token it needs to send anything.</summary>
    public bool LacksAuthToken => IsConfigured && string.IsNullOrWhiteSpace(AuthToken);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IsConfigured)
        {
            return [];
        }

        return SinkSettings.ValidateBaseUrl(ApiBaseUrl, nameof(ApiBaseUrl))
            .Concat(SinkSettings.ValidateSecret(AccountSid, nameof(AccountSid)))
            .Concat(LacksAuthToken ? [] : SinkSettings.ValidateSecret(AuthToken, nameof(AuthToken)));
    }
}

/// <summary>The <c>Segment__*</c> settings; the sink is off while <see cref="WriteKey"/> is empty.</summary>
public sealed class SegmentOptions : IValidatableObject
{
    public const string Section = "Segment";

    public string? WriteKey { get; set; }

    /// <summary>EU workspaces: <c>https://events.eu1.segmentapis.com</c>.</summary>
    public string ApiBaseUrl { get; set; } = "https://api.segment.io";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(WriteKey);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        !IsConfigured ? [] : SinkSettings.ValidateBaseUrl(ApiBaseUrl, nameof(ApiBaseUrl))
            .Concat(SinkSettings.ValidateSecret(WriteKey, nameof(WriteKey)));
}

internal static class SinkSettings
{
    public static IEnumerable<ValidationResult> ValidateBaseUrl(string? value, string member)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            yield return new ValidationResult("Must be an absolute http(s) URL.", [member]);
        }
    }

    public static IEnumerable<ValidationResult> ValidateSecret(string? value, string member)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            yield return new ValidationResult("Is required when this sink is configured.", [member]);
        }
        else if (value.Length > 512 || value.Any(char.IsWhiteSpace))
        {
            // Names the setting only: the value is a secret.
            yield return new ValidationResult("Must be at most 512 characters without spaces.", [member]);
        }
    }

    /// <summary>The base URL as an HttpClient base address: a trailing '/' so relative paths append.</summary>
    public static Uri BaseAddress(string baseUrl) => new(baseUrl.TrimEnd('/') + "/", UriKind.Absolute);
}

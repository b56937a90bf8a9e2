using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Vonage;

/// <summary>
/// Which hosts we send the application's credentials to: Vonage's API hosts (<c>api.nexmo.com</c>,
/// <c>api-us.nexmo.com</c>, <c>api-eu-3.vonage.com</c>, ...), plus the host of <c>Vonage__VoiceApiBaseUrl</c> when it
/// is set (the test seam, and a private proxy). A URL from a webhook (<c>region_url</c>, <c>recording_url</c>) is used
/// only when it passes, since an attacker-chosen host would be an SSRF and a credential leak.
/// </summary>
public sealed class VonageHosts(IOptions<VonageOptions> options)
{
    /// <summary>https, default port, no user info, a DNS name under <c>nexmo.com</c> or <c>vonage.com</c>.</summary>
    public static bool IsVonageApiUrl(Uri url) =>
        url.IsAbsoluteUri
        && url.Scheme == Uri.UriSchemeHttps
        && url.IsDefaultPort
        && string.IsNullOrEmpty(url.UserInfo)
        && url.HostNameType == UriHostNameType.Dns
        && (url.Host.EndsWith(".nexmo.com", StringComparison.OrdinalIgnoreCase)
            || url.Host.EndsWith(".vonage.com", StringComparison.OrdinalIgnoreCase));

    public static bool IsVonageApiUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && IsVonageApiUrl(url);

    /// <summary>The configured Voice API base, when set: it wins over the call's <c>region_url</c>.</summary>
    public Uri? ConfiguredVoiceApiBase =>
        Uri.TryCreate(options.Value.VoiceApiBaseUrl, UriKind.Absolute, out var url) ? url : null;

    /// <summary>A Vonage API URL, or one on the configured Voice API base's scheme, host and port.</summary>
    public bool IsAllowed(Uri url) =>
        IsVonageApiUrl(url)
        || (ConfiguredVoiceApiBase is { } seam
            && url.IsAbsoluteUri
            && string.Equals(url.Scheme, seam.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(url.Host, seam.Host, StringComparison.OrdinalIgnoreCase)
            && url.Port == seam.Port
            && string.IsNullOrEmpty(url.UserInfo));

    public bool IsAllowed(string? value) => Uri.TryCreate(value, UriKind.Absolute, out var url) && IsAllowed(url);

    /// <summary>
    /// Where to send a Voice API request about a call: <c>Vonage__VoiceApiBaseUrl</c> when set, else the call's
    /// <c>region_url</c> when it is a Vonage API host (Vonage asks to use it for calls in a region), else
    /// <c>Vonage__ApiBaseUrl</c>.
    /// </summary>
    public Uri VoiceApiBase(string? regionUrl = null) =>
        ConfiguredVoiceApiBase
        ?? (Uri.TryCreate(regionUrl, UriKind.Absolute, out var region) && IsVonageApiUrl(region) ? region : null)
        ?? new Uri(options.Value.ApiBaseUrl);
}

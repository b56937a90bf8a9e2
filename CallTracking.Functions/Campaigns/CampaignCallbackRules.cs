using System.Net;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Campaigns;

/// <summary>
/// Validation of a campaign's <c>callbackUrl</c> (outgoing webhook) and <c>callback</c> (missed-call callbacks), kept
/// out of <see cref="CampaignValidator"/> so that the two features stay in one file each.
/// </summary>
internal static class CampaignCallbackRules
{
    public const int MaxAttempts = 5;

    public const int MaxIntervalMinutes = 1440;

    public const int MaxUrlLength = 2048;

    /// <summary>
    /// Absolute https only, and not an address literal or name of this machine or a private network: the first line
    /// against a campaign turning our outgoing POST into a probe of our own network (names that resolve to such
    /// addresses are refused again at connect time, <c>Forwarding/PublicAddressGuard</c>).
    /// </summary>
    public static string? CallbackUrl(string? value, FieldNames names, List<FieldError> errors)
    {
        var url = value?.Trim();
        if (string.IsNullOrEmpty(url))
        {
            return null;
        }

        if (url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps
            || string.IsNullOrEmpty(uri.Host) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            errors.Add(new FieldError(names["callbackUrl"], "Must be an absolute https URL (no user name or password)."));
            return null;
        }

        if (uri.IsLoopback || uri.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && PrivateAddresses.IsPrivate(address)))
        {
            errors.Add(new FieldError(names["callbackUrl"], "Must be a public address (not this machine or a private network)."));
            return null;
        }

        return url;
    }

    public static CallbackPolicy? Callback(CallbackPolicyInput? input, FieldNames names, List<FieldError> errors)
    {
        if (input is null)
        {
            return null;
        }

        var before = errors.Count;
        var attempts = input.Attempts ?? 1;
        if (attempts is < 1 or > MaxAttempts)
        {
            errors.Add(new FieldError(names["callback.attempts"], $"Must be between 1 and {MaxAttempts}."));
        }

        var interval = input.IntervalMinutes ?? 15;
        if (interval is < 1 or > MaxIntervalMinutes)
        {
            errors.Add(new FieldError(names["callback.intervalMinutes"], $"Must be between 1 and {MaxIntervalMinutes} minutes."));
        }

        return errors.Count > before ? null : new CallbackPolicy
        {
            Attempts = attempts,
            IntervalMinutes = interval,
            OnlyWhenOpen = input.OnlyWhenOpen ?? true,
        };
    }
}

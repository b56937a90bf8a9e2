using System.Diagnostics;
using System.Text.RegularExpressions;
using CallTracking.Functions.Common;
using OpenTelemetry;

namespace CallTracking.Functions.Telemetry;

/// <summary>
/// Keeps caller numbers out of dependency telemetry. Number Insight puts the number in the URL query, and the
/// Callers table's key is the caller's E.164 (<c>Callers(PartitionKey='%2B44…')</c>), so every URL-like tag of every
/// span is rewritten with <see cref="E164.Mask"/> before export. Bodies are never captured (Identity Insights sends
/// the number in its body).
/// </summary>
public static partial class TelemetryMasking
{
    /// <summary>The span attributes that carry a URL or part of one (current and older semantic conventions).</summary>
    private static readonly string[] UrlTags = ["url.full", "url.path", "url.query", "http.url", "http.target", "az.table.key"];

    /// <summary>
    /// Masks every run of 7 to 15 digits (optionally after '+' or "%2B") that stands on its own: not part of a
    /// word, hex id or GUID (so call ids and dates are kept). Over-masking a non-number is safe; missing one is not.
    /// </summary>
    public static string MaskUrl(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return url ?? "";
        }

        return PhoneLike().Replace(url, m =>
        {
            var encodedPlus = m.Groups["plus"].Value.Equals("%2B", StringComparison.OrdinalIgnoreCase);
            var masked = E164.Mask((m.Groups["plus"].Success ? "+" : "") + m.Groups["digits"].Value);
            return encodedPlus ? "%2B" + masked[1..] : masked;
        });
    }

    /// <summary>Rewrites URL tags and the display name of a finished span (runs before the exporter's processor).</summary>
    internal static void Mask(Activity activity)
    {
        foreach (var tag in UrlTags)
        {
            if (activity.GetTagItem(tag) is string value)
            {
                var masked = MaskUrl(value);
                if (!ReferenceEquals(masked, value) && !string.Equals(masked, value, StringComparison.Ordinal))
                {
                    activity.SetTag(tag, masked);
                }
            }
        }

        var name = activity.DisplayName;
        var maskedName = MaskUrl(name);
        if (!string.Equals(maskedName, name, StringComparison.Ordinal))
        {
            activity.DisplayName = maskedName;
        }
    }

    [GeneratedRegex(@"(?<![0-9A-Za-z_\-.])(?<plus>\+|%2[Bb])?(?<digits>[0-9]{7,15})(?![0-9A-Za-z_\-])", RegexOptions.CultureInvariant)]
    private static partial Regex PhoneLike();
}

/// <summary>The span processor that applies <see cref="TelemetryMasking"/>; registered before the exporter.</summary>
internal sealed class MaskingActivityProcessor : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data) => TelemetryMasking.Mask(data);
}

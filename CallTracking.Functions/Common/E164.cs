using System.Diagnostics.CodeAnalysis;
using PhoneNumbers;

namespace CallTracking.Functions.Common;

/// <summary>
/// Phone numbers are normalised once, at the edge, to E.164 with a leading '+' ("+447700900123").
/// Vonage sends and expects E.164 digits without the '+'; <see cref="ToVonage"/> converts back.
/// </summary>
public static class E164
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    private static readonly HashSet<string> WithheldMarkers = new(StringComparer.OrdinalIgnoreCase)
    {
        "", "anonymous", "unknown", "withheld", "private", "restricted", "unavailable", "null",
    };

    /// <summary>
    /// Normalises user input in national ("07700 900123"), international ("+44 7700 900123", "0044…")
    /// or bare international ("447700900123") form.
    /// </summary>
    public static bool TryNormalize(string? input, string defaultRegion, [NotNullWhen(true)] out string? e164)
    {
        e164 = null;
        if (string.IsNullOrWhiteSpace(input) || input.Length > 40)
        {
            return false;
        }

        var text = input.Trim();
        if (text.StartsWith("00", StringComparison.Ordinal))
        {
            text = "+" + text[2..];
        }

        if (text.StartsWith('+'))
        {
            return TryParse(text, null, out e164);
        }

        // Without '+': a valid national number in the default region wins, else read it as international digits.
        return TryParse(text, defaultRegion, out e164) || TryParse("+" + text, null, out e164);
    }

    /// <summary>
    /// Reads a number as Vonage sends it in webhooks (international digits without '+').
    /// Cheap on the live call path: digits are taken as they are, anything else goes through libphonenumber.
    /// Returns null for withheld or unparseable callers.
    /// </summary>
    public static string? FromVonage(string? value)
    {
        if (value is null || WithheldMarkers.Contains(value.Trim()))
        {
            return null;
        }

        var span = value.AsSpan().Trim();
        if (span.Length is >= 6 and <= 15 && !span.ContainsAnyExceptInRange('0', '9'))
        {
            return string.Concat("+", span);
        }

        if (span.Length is >= 7 and <= 16 && span[0] == '+' && !span[1..].ContainsAnyExceptInRange('0', '9'))
        {
            return span.ToString();
        }

        return TryParse(value.StartsWith('+') ? value : "+" + value, null, out var e164) ? e164 : null;
    }

    /// <summary>E.164 digits without '+', the form NCCO <c>from</c> and <c>number</c> fields use.</summary>
    public static string ToVonage(string e164) => e164.StartsWith('+') ? e164[1..] : e164;

    /// <summary>Region code (ISO alpha-2) of an E.164 number, or null.</summary>
    public static string? RegionOf(string e164)
    {
        try
        {
            var region = Util.GetRegionCodeForNumber(Util.Parse(e164, null));
            return region is null or "ZZ" ? null : region;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    /// <summary>For logs: keeps the country prefix and the last two digits ("+4477*******23").</summary>
    public static string Mask(string? number)
    {
        if (string.IsNullOrEmpty(number))
        {
            return "(none)";
        }

        if (number.Length <= 6)
        {
            return new string('*', number.Length);
        }

        var keepStart = number.StartsWith('+') ? 4 : 3;
        return string.Concat(number.AsSpan(0, keepStart), new string('*', number.Length - keepStart - 2), number.AsSpan(number.Length - 2));
    }

    private static bool TryParse(string text, string? region, [NotNullWhen(true)] out string? e164)
    {
        e164 = null;
        try
        {
            // "Possible" (right length for a known country) rather than "valid": libphonenumber's range
            // metadata lags new allocations, and reserved drama numbers (07700 900xxx) must work in demos.
            var parsed = Util.Parse(text, region);
            if (Util.GetRegionCodeForCountryCode(parsed.CountryCode) == "ZZ" || !Util.IsPossibleNumber(parsed))
            {
                return false;
            }

            e164 = Util.Format(parsed, PhoneNumberFormat.E164);
            return true;
        }
        catch (NumberParseException)
        {
            return false;
        }
    }
}

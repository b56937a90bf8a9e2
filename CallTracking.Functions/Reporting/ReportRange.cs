using System.Globalization;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Reporting;

/// <summary>
/// A report's time range [<see cref="From"/>, <see cref="To"/>) in UTC, and the time zone charts are bucketed in.
/// <c>from</c>/<c>to</c> accept a local date (<c>2026-03-01</c>; <c>to</c> is then inclusive: the whole day),
/// a local date-time (<c>2026-03-01T08:00</c>) or an instant with offset (<c>2026-03-01T08:00:00Z</c>; <c>to</c> exclusive).
/// Local values are read in <c>tz</c> (IANA id, default UTC). Defaults: the last 30 local days including today.
/// </summary>
public sealed record ReportRange(DateTimeOffset From, DateTimeOffset To, TimeZoneInfo TimeZone)
{
    /// <summary>The longest range a request may ask for; bounds the hour rows one request reads.</summary>
    public const int MaxDays = 1100;

    public string TimeZoneId => TimeZone.Id;

    public static ReportRange Parse(string? from, string? to, string? tz, DateTimeOffset now)
    {
        var errors = new List<FieldError>();
        var zone = TimeZoneInfo.Utc;
        if (!string.IsNullOrWhiteSpace(tz) && !TimeZoneInfo.TryFindSystemTimeZoneById(tz.Trim(), out zone))
        {
            errors.Add(new FieldError("tz", $"'{tz}' is not a known IANA time zone (e.g. Europe/London, America/New_York)."));
            zone = TimeZoneInfo.Utc;
        }

        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var start = ParseBound(from, "from", zone, endOfDay: false, errors) ?? LocalMidnight(today.AddDays(-29), zone);
        var end = ParseBound(to, "to", zone, endOfDay: true, errors) ?? LocalMidnight(today.AddDays(1), zone);

        if (errors.Count == 0 && end <= start)
        {
            errors.Add(new FieldError("to", "'to' must be after 'from'."));
        }
        else if (errors.Count == 0 && end - start > TimeSpan.FromDays(MaxDays))
        {
            errors.Add(new FieldError("to", $"The range may span at most {MaxDays} days."));
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        return new ReportRange(start.ToUniversalTime(), end.ToUniversalTime(), zone);
    }

    /// <summary>The instant a local date starts in <paramref name="zone"/> (the first valid local time on that day).</summary>
    public static DateTimeOffset LocalMidnight(DateOnly date, TimeZoneInfo zone) =>
        LocalToInstant(date.ToDateTime(TimeOnly.MinValue), zone);

    /// <summary>
    /// A wall-clock time to an instant: a time skipped by a DST gap moves forward past the gap, an ambiguous one
    /// (repeated hour) takes its first occurrence.
    /// </summary>
    public static DateTimeOffset LocalToInstant(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        for (var i = 0; zone.IsInvalidTime(local) && i < 4 * 24; i++)
        {
            local = local.AddMinutes(15);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    private static DateTimeOffset? ParseBound(string? text, string field, TimeZoneInfo zone, bool endOfDay, List<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        text = text.Trim();
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return LocalMidnight(endOfDay ? date.AddDays(1) : date, zone);
        }

        var hasOffset = text.EndsWith('Z') || text.EndsWith('z') || HasNumericOffset(text);
        if (hasOffset && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant) && text.Contains('T', StringComparison.OrdinalIgnoreCase))
        {
            return instant;
        }

        if (!hasOffset && text.Contains('T', StringComparison.OrdinalIgnoreCase)
            && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return LocalToInstant(local, zone);
        }

        errors.Add(new FieldError(field, $"'{text}' is not a date (yyyy-MM-dd) or an ISO-8601 date-time."));
        return null;
    }

    private static bool HasNumericOffset(string text)
    {
        var t = text.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        return t > 0 && text.AsSpan(t).IndexOfAny('+', '-') > 0;
    }
}

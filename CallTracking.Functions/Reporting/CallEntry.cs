using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using CallTracking.Functions.Processing;

namespace CallTracking.Functions.Reporting;

/// <summary>
/// What reporting keeps of one processed call: the CDR fields for listing and CSV, and the call's contribution to
/// its hour aggregate. Derived from the <see cref="ProcessedCall"/> only, so the processor and the rebuild derive the
/// same entry.
/// </summary>
public sealed record CallEntry
{
    public required string CallId { get; init; }

    /// <summary>The partition: the campaign id, or <see cref="ReportKeys.Unassigned"/>.</summary>
    public required string CampaignId { get; init; }

    /// <summary>When the call started (the instant reports bucket it by).</summary>
    public required DateTimeOffset Start { get; init; }

    public DateTimeOffset? End { get; init; }

    public string? TrackingNumber { get; init; }

    public string? CallerNumber { get; init; }

    public required CallOutcome Outcome { get; init; }

    public int DurationSeconds { get; init; }

    public int TalkSeconds { get; init; }

    public string? RecordingUrl { get; init; }

    /// <summary>Seconds in the hold queue (0: never held).</summary>
    public int HoldSeconds { get; init; }

    /// <summary>Carrier cost in micro-units (1e-6 EUR): integer sums are exact and order-independent.</summary>
    public long CarrierCostMicros { get; init; }

    public long EnrichmentCostMicros { get; init; }

    public bool FirstTimeCaller { get; init; }

    public string? CallerCountry { get; init; }

    public string? CallerCarrier { get; init; }

    public string? CallerLineType { get; init; }

    public string HourKey => ReportKeys.HourKey(Start);

    public string DayKey => ReportKeys.DayKey(Start);

    public string MonthKey => ReportKeys.MonthKey(Start);

    public string CallKey => ReportKeys.CallKey(Start, CallId);

    /// <summary>What reporting keeps of a processed call.</summary>
    public static CallEntry From(ProcessedCall call) => new()
    {
        CallId = call.CallId,
        CampaignId = string.IsNullOrEmpty(call.CampaignId) ? ReportKeys.Unassigned : call.CampaignId,
        Start = call.StartedAt,
        End = (call.CallerLeg.EndTime ?? call.CompletedAt)?.ToUniversalTime(),
        TrackingNumber = call.TrackingNumber,
        CallerNumber = call.CallerNumber,
        Outcome = call.Outcome,
        DurationSeconds = Math.Max(0, call.CallSeconds),
        TalkSeconds = call.Outcome is CallOutcome.Answered or CallOutcome.AnsweredAfterHold ? Math.Max(0, call.TalkSeconds) : 0,
        RecordingUrl = call.RecordingUrl,
        HoldSeconds = Math.Max(0, call.HoldSeconds),
        CarrierCostMicros = ToMicros(call.CarrierCost),
        EnrichmentCostMicros = ToMicros(call.EnrichmentCost),
        FirstTimeCaller = call.FirstTimeCaller == true,
        CallerCountry = Normalize(call.CallerCountry)?.ToUpperInvariant(),
        CallerCarrier = Normalize(call.CallerCarrier),
        CallerLineType = Normalize(call.CallerLineType)?.ToLowerInvariant(),
    };

    /// <summary>Whole micro-euros, half away from zero.</summary>
    public static long ToMicros(decimal amount) => (long)Math.Round(amount * 1_000_000m, MidpointRounding.AwayFromZero);

    public static decimal FromMicros(long micros) => micros / 1_000_000m;

    public TableEntity ToProjectionRow() => new(CampaignId, CallKey)
    {
        ["CallId"] = CallId,
        ["Start"] = Start,
        ["End"] = End,
        ["TrackingNumber"] = TrackingNumber,
        ["CallerNumber"] = CallerNumber,
        ["Outcome"] = Outcome.ToString(),
        ["DurationSeconds"] = DurationSeconds,
        ["TalkSeconds"] = TalkSeconds,
        ["RecordingUrl"] = RecordingUrl,
        ["HoldSeconds"] = HoldSeconds,
        ["CarrierCostMicros"] = CarrierCostMicros,
        ["EnrichmentCostMicros"] = EnrichmentCostMicros,
        ["FirstTimeCaller"] = FirstTimeCaller,
        ["CallerCountry"] = CallerCountry,
        ["CallerCarrier"] = CallerCarrier,
        ["CallerLineType"] = CallerLineType,
    };

    public static CallEntry FromProjectionRow(TableEntity row) => new()
    {
        CallId = row.GetString("CallId") ?? ReportKeys.CallIdOf(row.RowKey),
        CampaignId = row.PartitionKey,
        Start = row.GetDateTimeOffset("Start") ?? ReportKeys.StartOf(row.RowKey),
        End = row.GetDateTimeOffset("End"),
        TrackingNumber = row.GetString("TrackingNumber"),
        CallerNumber = row.GetString("CallerNumber"),
        Outcome = Enum.TryParse<CallOutcome>(row.GetString("Outcome"), out var outcome) ? outcome : CallOutcome.Failed,
        DurationSeconds = row.GetInt32("DurationSeconds") ?? 0,
        TalkSeconds = row.GetInt32("TalkSeconds") ?? 0,
        RecordingUrl = row.GetString("RecordingUrl"),
        HoldSeconds = row.GetInt32("HoldSeconds") ?? 0,
        CarrierCostMicros = row.GetInt64("CarrierCostMicros") ?? 0,
        EnrichmentCostMicros = row.GetInt64("EnrichmentCostMicros") ?? 0,
        FirstTimeCaller = row.GetBoolean("FirstTimeCaller") ?? false,
        CallerCountry = row.GetString("CallerCountry"),
        CallerCarrier = row.GetString("CallerCarrier"),
        CallerLineType = row.GetString("CallerLineType"),
    };

    /// <summary>The marker row that makes applying a call idempotent; it remembers what was applied.</summary>
    public TableEntity ToIndexRow() => new(CampaignId, ReportKeys.IndexKey(CallId))
    {
        ["CallKey"] = CallKey,
        ["Entry"] = JsonSerializer.Serialize(this, ReportJson.Options),
    };

    public static CallEntry? FromIndexRow(TableEntity row) =>
        row.GetString("Entry") is { } json ? JsonSerializer.Deserialize<CallEntry>(json, ReportJson.Options) : null;

    private static string? Normalize(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>Row keys of the reporting table (<c>CampaignStats</c>), one partition per campaign.</summary>
public static class ReportKeys
{
    /// <summary>Partition for calls that belong to no campaign (unknown tracking number).</summary>
    public const string Unassigned = "_unassigned";

    public const string HourPrefix = "h|";
    public const string DayPrefix = "d|";
    public const string MonthPrefix = "m|";
    public const string CallPrefix = "c|";
    public const string IndexPrefix = "i|";

    /// <summary>"h|yyyyMMddHH" (UTC): sorts chronologically.</summary>
    public static string HourKey(DateTimeOffset instant)
    {
        var utc = instant.UtcDateTime;
        return HourPrefix + utc.ToString("yyyyMMddHH", CultureInfo.InvariantCulture);
    }

    /// <summary>"d|yyyyMMdd" (UTC): the day rollup, so long ranges read 24 times fewer rows.</summary>
    public static string DayKey(DateTimeOffset instant) =>
        DayPrefix + instant.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>"m|yyyyMM" (UTC): the month rollup, so a year reads 12 rows instead of 365.</summary>
    public static string MonthKey(DateTimeOffset instant) =>
        MonthPrefix + instant.UtcDateTime.ToString("yyyyMM", CultureInfo.InvariantCulture);

    public static DateTimeOffset MonthOf(string monthKey) =>
        new(DateTime.ParseExact(monthKey.AsSpan(MonthPrefix.Length), "yyyyMM", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), TimeSpan.Zero);

    public static DateTimeOffset DayOf(string dayKey) =>
        new(DateTime.ParseExact(dayKey.AsSpan(DayPrefix.Length), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), TimeSpan.Zero);

    /// <summary>An hour row's, a day row's or a month row's first instant.</summary>
    public static DateTimeOffset BucketStart(string key) =>
        key.StartsWith(DayPrefix, StringComparison.Ordinal) ? DayOf(key)
        : key.StartsWith(MonthPrefix, StringComparison.Ordinal) ? MonthOf(key)
        : HourOf(key);

    /// <summary>An empty aggregate with as many quarter hours as the row's bucket spans.</summary>
    public static HourAggregate NewAggregate(string key)
    {
        if (key.StartsWith(MonthPrefix, StringComparison.Ordinal))
        {
            var month = MonthOf(key);
            return new(HourAggregate.QuartersPerDay * DateTime.DaysInMonth(month.Year, month.Month));
        }

        return new(key.StartsWith(DayPrefix, StringComparison.Ordinal) ? HourAggregate.QuartersPerDay : HourAggregate.QuartersPerHour);
    }

    public static DateTimeOffset HourOf(string hourKey) =>
        new(DateTime.ParseExact(hourKey.AsSpan(HourPrefix.Length), "yyyyMMddHH", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), TimeSpan.Zero);

    /// <summary>"c|&lt;inverted start ticks&gt;|&lt;call id&gt;": newest call first in a partition.</summary>
    public static string CallKey(DateTimeOffset start, string callId) =>
        CallPrefix + InvertedTicks(start) + "|" + callId;

    /// <summary>The lowest call key at or before <paramref name="instant"/> (later calls sort before it).</summary>
    public static string CallKeyBound(DateTimeOffset instant) => CallPrefix + InvertedTicks(instant);

    public static string IndexKey(string callId) => IndexPrefix + callId;

    public static string CallIdOf(string callKey) => callKey[(CallPrefix.Length + 20)..];

    public static DateTimeOffset StartOf(string callKey) =>
        new(DateTime.MaxValue.Ticks - long.Parse(callKey.AsSpan(CallPrefix.Length, 19), CultureInfo.InvariantCulture), TimeSpan.Zero);

    /// <summary>True for a row key a continuation token may carry.</summary>
    public static bool IsCallKey(string value) =>
        value.Length > CallPrefix.Length + 20 && value.StartsWith(CallPrefix, StringComparison.Ordinal)
        && value.AsSpan(CallPrefix.Length, 19).IndexOfAnyExceptInRange('0', '9') < 0 && value[CallPrefix.Length + 19] == '|';

    private static string InvertedTicks(DateTimeOffset instant) =>
        (DateTime.MaxValue.Ticks - instant.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);
}

internal static class ReportJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General);
}

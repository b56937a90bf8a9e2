using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using CallTracking.Functions.Processing;

namespace CallTracking.Functions.Reporting;

/// <summary>
/// The totals of one campaign's calls that started in one UTC hour (row <c>h|yyyyMMddHH</c>), one UTC day (rollup
/// row <c>d|yyyyMMdd</c>) or one UTC month (rollup row <c>m|yyyyMM</c>), or, summed, of a range. Besides the counts
/// and sums it keeps calls/answered/missed per quarter hour (4 for an hour row, 96 for a day row, 96 per day for a
/// month row), so charts can be bucketed into local hours exactly in every
/// time zone (all offsets in use are multiples of 15 minutes), a caller sketch for unique callers, and per-country
/// and per-line-type counts.
/// </summary>
public sealed class HourAggregate(int quarters = HourAggregate.QuartersPerHour)
{
    public const string UnknownDimension = "unknown";
    public const int QuartersPerHour = 4;
    public const int QuartersPerDay = 96;

    private byte[]? _storedCallers;
    private CallerSketch? _callers;

    public long Calls { get; set; }

    public long Answered { get; set; }

    public long Busy { get; set; }

    public long Unanswered { get; set; }

    public long Timeout { get; set; }

    public long Rejected { get; set; }

    public long Failed { get; set; }

    public long Abandoned { get; set; }

    public long NotConnected { get; set; }

    /// <summary>Calls whose caller waited in the hold queue (any outcome).</summary>
    public long Held { get; set; }

    public long HoldSeconds { get; set; }

    public long AnsweredAfterHold { get; set; }

    public long AbandonedOnHold { get; set; }

    public long Voicemail { get; set; }

    public long FirstTimeCallers { get; set; }

    /// <summary>Calls without a caller number (withheld): they cannot count as unique callers.</summary>
    public long WithheldCallers { get; set; }

    public long TalkSeconds { get; set; }

    public long CallSeconds { get; set; }

    public long CarrierCostMicros { get; set; }

    public long EnrichmentCostMicros { get; set; }

    /// <summary>Missed: the agent leg was busy, unanswered, timed out, rejected or failed.</summary>
    public long Missed => Busy + Unanswered + Timeout + Rejected + Failed;

    public Dictionary<string, long> Countries { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> LineTypes { get; } = new(StringComparer.Ordinal);

    public long[] CallsByQuarter { get; } = new long[quarters];

    public long[] AnsweredByQuarter { get; } = new long[quarters];

    public long[] MissedByQuarter { get; } = new long[quarters];

    /// <summary>The caller sketch; a stored one is decoded on first use (summing a range merges the stored bytes directly).</summary>
    public CallerSketch Callers
    {
        get
        {
            if (_callers is null)
            {
                _callers = _storedCallers is null ? new CallerSketch() : CallerSketch.FromBytes(_storedCallers);
                _storedCallers = null;
            }

            return _callers;
        }
    }

    public bool IsEmpty => Calls == 0;

    public int Quarters => CallsByQuarter.Length;

    /// <summary>Adds (<paramref name="sign"/> = 1) or removes (-1) a call. A sketch cannot forget a caller: removal leaves it.</summary>
    public void Apply(CallEntry entry, int sign)
    {
        Calls += sign;
        switch (entry.Outcome)
        {
            case CallOutcome.Answered: Answered += sign; break;
            case CallOutcome.Busy: Busy += sign; break;
            case CallOutcome.Unanswered: Unanswered += sign; break;
            case CallOutcome.Timeout: Timeout += sign; break;
            case CallOutcome.Rejected: Rejected += sign; break;
            case CallOutcome.Failed: Failed += sign; break;
            case CallOutcome.Abandoned: Abandoned += sign; break;
            case CallOutcome.NotConnected: NotConnected += sign; break;
            case CallOutcome.AnsweredAfterHold: AnsweredAfterHold += sign; break;
            case CallOutcome.AbandonedOnHold: AbandonedOnHold += sign; break;
            case CallOutcome.Voicemail: Voicemail += sign; break;
        }

        if (entry.HoldSeconds > 0 || entry.Outcome is CallOutcome.AnsweredAfterHold or CallOutcome.AbandonedOnHold)
        {
            Held += sign;
            HoldSeconds += sign * (long)entry.HoldSeconds;
        }

        if (entry.FirstTimeCaller)
        {
            FirstTimeCallers += sign;
        }

        TalkSeconds += sign * (long)entry.TalkSeconds;
        CallSeconds += sign * (long)entry.DurationSeconds;
        CarrierCostMicros += sign * entry.CarrierCostMicros;
        EnrichmentCostMicros += sign * entry.EnrichmentCostMicros;
        Bump(Countries, entry.CallerCountry ?? UnknownDimension, sign);
        Bump(LineTypes, entry.CallerLineType ?? UnknownDimension, sign);

        var utc = entry.Start.UtcDateTime;
        var quarter = (utc.Minute / 15)
            + (Quarters >= QuartersPerDay ? 4 * utc.Hour : 0)
            + (Quarters > QuartersPerDay ? QuartersPerDay * (utc.Day - 1) : 0);
        CallsByQuarter[quarter] += sign;
        if (entry.Outcome is CallOutcome.Answered or CallOutcome.AnsweredAfterHold)
        {
            AnsweredByQuarter[quarter] += sign;
        }
        else if (IsMissed(entry.Outcome))
        {
            MissedByQuarter[quarter] += sign;
        }

        if (entry.CallerNumber is null)
        {
            WithheldCallers += sign;
        }
        else if (sign > 0)
        {
            Callers.Add(entry.CallerNumber);
        }
    }

    public static bool IsMissed(CallOutcome outcome) =>
        outcome is CallOutcome.Busy or CallOutcome.Unanswered or CallOutcome.Timeout or CallOutcome.Rejected or CallOutcome.Failed;

    /// <summary>
    /// Adds another aggregate's totals (range sums). Its quarter counts land at <paramref name="quarterOffset"/>
    /// (an hour into its day) when they fit; a range total keeps no quarters of its own.
    /// </summary>
    public void Add(HourAggregate other, int quarterOffset = 0)
    {
        Calls += other.Calls;
        Answered += other.Answered;
        Busy += other.Busy;
        Unanswered += other.Unanswered;
        Timeout += other.Timeout;
        Rejected += other.Rejected;
        Failed += other.Failed;
        Abandoned += other.Abandoned;
        NotConnected += other.NotConnected;
        Held += other.Held;
        HoldSeconds += other.HoldSeconds;
        AnsweredAfterHold += other.AnsweredAfterHold;
        AbandonedOnHold += other.AbandonedOnHold;
        Voicemail += other.Voicemail;
        FirstTimeCallers += other.FirstTimeCallers;
        WithheldCallers += other.WithheldCallers;
        TalkSeconds += other.TalkSeconds;
        CallSeconds += other.CallSeconds;
        CarrierCostMicros += other.CarrierCostMicros;
        EnrichmentCostMicros += other.EnrichmentCostMicros;
        foreach (var (key, value) in other.Countries)
        {
            Bump(Countries, key, value);
        }

        foreach (var (key, value) in other.LineTypes)
        {
            Bump(LineTypes, key, value);
        }

        if (other.Quarters + quarterOffset <= Quarters)
        {
            for (var q = 0; q < other.Quarters; q++)
            {
                CallsByQuarter[quarterOffset + q] += other.CallsByQuarter[q];
                AnsweredByQuarter[quarterOffset + q] += other.AnsweredByQuarter[q];
                MissedByQuarter[quarterOffset + q] += other.MissedByQuarter[q];
            }
        }

        if (other._callers is null && other._storedCallers is not null)
        {
            Callers.MergeBytes(other._storedCallers);
        }
        else if (other._callers is not null)
        {
            Callers.Merge(other._callers);
        }
    }

    public TableEntity ToEntity(string partitionKey, string rowKey) => new(partitionKey, rowKey)
    {
        ["Calls"] = Calls,
        ["Answered"] = Answered,
        ["Busy"] = Busy,
        ["Unanswered"] = Unanswered,
        ["Timeout"] = Timeout,
        ["Rejected"] = Rejected,
        ["Failed"] = Failed,
        ["Abandoned"] = Abandoned,
        ["NotConnected"] = NotConnected,
        ["Held"] = Held,
        ["HoldSeconds"] = HoldSeconds,
        ["AnsweredAfterHold"] = AnsweredAfterHold,
        ["AbandonedOnHold"] = AbandonedOnHold,
        ["Voicemail"] = Voicemail,
        ["FirstTimeCallers"] = FirstTimeCallers,
        ["WithheldCallers"] = WithheldCallers,
        ["TalkSeconds"] = TalkSeconds,
        ["CallSeconds"] = CallSeconds,
        ["CarrierCostMicros"] = CarrierCostMicros,
        ["EnrichmentCostMicros"] = EnrichmentCostMicros,
        ["Countries"] = JsonSerializer.Serialize(Countries, ReportJson.Options),
        ["LineTypes"] = JsonSerializer.Serialize(LineTypes, ReportJson.Options),
        ["CallsByQuarter"] = JoinQuarters(CallsByQuarter),
        ["AnsweredByQuarter"] = JoinQuarters(AnsweredByQuarter),
        ["MissedByQuarter"] = JoinQuarters(MissedByQuarter),
        ["Callers"] = Callers.ToBytes(),
    };

    /// <summary>An hour, day or month row (its key says which, and so how many quarter hours it keeps).</summary>
    public static HourAggregate FromEntity(TableEntity row)
    {
        var aggregate = ReportKeys.NewAggregate(row.RowKey);
        aggregate.Calls = Long(row, "Calls");
        aggregate.Answered = Long(row, "Answered");
        aggregate.Busy = Long(row, "Busy");
        aggregate.Unanswered = Long(row, "Unanswered");
        aggregate.Timeout = Long(row, "Timeout");
        aggregate.Rejected = Long(row, "Rejected");
        aggregate.Failed = Long(row, "Failed");
        aggregate.Abandoned = Long(row, "Abandoned");
        aggregate.NotConnected = Long(row, "NotConnected");
        aggregate.Held = Long(row, "Held");
        aggregate.HoldSeconds = Long(row, "HoldSeconds");
        aggregate.AnsweredAfterHold = Long(row, "AnsweredAfterHold");
        aggregate.AbandonedOnHold = Long(row, "AbandonedOnHold");
        aggregate.Voicemail = Long(row, "Voicemail");
        aggregate.FirstTimeCallers = Long(row, "FirstTimeCallers");
        aggregate.WithheldCallers = Long(row, "WithheldCallers");
        aggregate.TalkSeconds = Long(row, "TalkSeconds");
        aggregate.CallSeconds = Long(row, "CallSeconds");
        aggregate.CarrierCostMicros = Long(row, "CarrierCostMicros");
        aggregate.EnrichmentCostMicros = Long(row, "EnrichmentCostMicros");
        ReadDictionary(row.GetString("Countries"), aggregate.Countries);
        ReadDictionary(row.GetString("LineTypes"), aggregate.LineTypes);
        ReadQuarters(row.GetString("CallsByQuarter"), aggregate.CallsByQuarter);
        ReadQuarters(row.GetString("AnsweredByQuarter"), aggregate.AnsweredByQuarter);
        ReadQuarters(row.GetString("MissedByQuarter"), aggregate.MissedByQuarter);
        if (row.GetBinary("Callers") is { Length: > 0 } sketch)
        {
            aggregate._storedCallers = sketch;
        }

        return aggregate;
    }

    private static void Bump(Dictionary<string, long> counts, string key, long by)
    {
        var value = counts.GetValueOrDefault(key) + by;
        if (value == 0)
        {
            counts.Remove(key);
        }
        else
        {
            counts[key] = value;
        }
    }

    // Counts written by older versions may be Int32; both read as long.
    private static long Long(TableEntity row, string name) => row.TryGetValue(name, out var value) ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : 0;

    private static string JoinQuarters(long[] values) => string.Join(',', values);

    private static void ReadQuarters(string? text, long[] into)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        var parts = text.Split(',');
        for (var i = 0; i < Math.Min(parts.Length, into.Length); i++)
        {
            into[i] = long.Parse(parts[i], CultureInfo.InvariantCulture);
        }
    }

    private static void ReadDictionary(string? json, Dictionary<string, long> into)
    {
        if (string.IsNullOrEmpty(json))
        {
            return;
        }

        foreach (var (key, value) in JsonSerializer.Deserialize<Dictionary<string, long>>(json, ReportJson.Options) ?? [])
        {
            into[key] = value;
        }
    }
}

using CallTracking.Functions.Campaigns;

namespace CallTracking.Functions.Reporting;

/// <summary>Hour aggregates of a range summed, with calls bucketed into local hours of day and local days.</summary>
public sealed class RangeReport
{
    private readonly TimeZoneInfo _zone;
    private DateTime _offsetDay = DateTime.MinValue;
    private TimeSpan? _dayOffset;

    private RangeReport(DateTimeOffset from, DateTimeOffset to, TimeZoneInfo zone)
    {
        From = from;
        To = to;
        _zone = zone;
    }

    /// <summary>Start of the first UTC hour counted.</summary>
    public DateTimeOffset From { get; }

    /// <summary>End of the last UTC hour counted (exclusive).</summary>
    public DateTimeOffset To { get; }

    public HourAggregate Total { get; } = new();

    /// <summary>Index = local hour of day; [calls, answered, missed].</summary>
    public long[,] ByHourOfDay { get; } = new long[24, 3];

    public SortedDictionary<DateOnly, long[]> ByDay { get; } = [];

    public static RangeReport Empty(ReportRange range)
    {
        var from = ReportRebuilder.FloorHour(range.From);
        var toFloor = ReportRebuilder.FloorHour(range.To);
        return new RangeReport(from, toFloor == range.To ? range.To : toFloor.AddHours(1), range.TimeZone);
    }

    /// <summary>Adds an hour row or a day rollup row starting at <paramref name="hourStart"/>.</summary>
    public void AddBucket(DateTimeOffset hourStart, HourAggregate hour)
    {
        Total.Add(hour);
        for (var q = 0; q < hour.Quarters; q++)
        {
            if (hour.CallsByQuarter[q] == 0)
            {
                continue;
            }

            // Every UTC offset in use is a multiple of 15 minutes and changes on a quarter hour, so a quarter maps
            // to exactly one local hour: bucketing is exact across DST changes and in :30/:45 zones.
            var instant = hourStart.AddMinutes(15 * q);
            var local = instant.ToOffset(OffsetAt(instant));
            Bump(ByHourOfDay, local.Hour, hour, q);
            var day = DateOnly.FromDateTime(local.DateTime);
            if (!ByDay.TryGetValue(day, out var counts))
            {
                ByDay[day] = counts = new long[3];
            }

            counts[0] += hour.CallsByQuarter[q];
            counts[1] += hour.AnsweredByQuarter[q];
            counts[2] += hour.MissedByQuarter[q];
        }
    }

    /// <summary>
    /// The zone's offset at <paramref name="instant"/>. Converting every quarter of a year of rows was the read's main
    /// CPU cost; offsets change at most once a day, so a UTC day whose first and last instants share an offset uses it
    /// throughout, and only a day with a change converts quarter by quarter.
    /// </summary>
    private TimeSpan OffsetAt(DateTimeOffset instant)
    {
        var day = instant.UtcDateTime.Date;
        if (day != _offsetDay)
        {
            _offsetDay = day;
            var first = _zone.GetUtcOffset(new DateTimeOffset(day, TimeSpan.Zero));
            var last = _zone.GetUtcOffset(new DateTimeOffset(day.AddDays(1).AddTicks(-1), TimeSpan.Zero));
            _dayOffset = first == last ? first : null;
        }

        return _dayOffset ?? _zone.GetUtcOffset(instant);
    }

    public void Add(RangeReport other)
    {
        Total.Add(other.Total);
        for (var h = 0; h < 24; h++)
        {
            for (var k = 0; k < 3; k++)
            {
                ByHourOfDay[h, k] += other.ByHourOfDay[h, k];
            }
        }

        foreach (var (day, counts) in other.ByDay)
        {
            if (!ByDay.TryGetValue(day, out var mine))
            {
                ByDay[day] = mine = new long[3];
            }

            for (var k = 0; k < 3; k++)
            {
                mine[k] += counts[k];
            }
        }
    }

    public CampaignStats ToStats(CampaignSummary? campaign, ReportRange range, decimal? mediaSpend)
    {
        var t = Total;
        var missed = t.Missed;
        var callCost = CallEntry.FromMicros(t.CarrierCostMicros + t.EnrichmentCostMicros);
        var totalCost = callCost + (mediaSpend ?? 0);
        var byHour = Enumerable.Range(0, 24)
            .Select(h => new HourOfDayBucket(h, ByHourOfDay[h, 0], ByHourOfDay[h, 1], ByHourOfDay[h, 2]))
            .ToList();
        var best = byHour.Where(b => b.Answered > 0).OrderByDescending(b => b.Answered).ThenBy(b => b.Hour).FirstOrDefault();

        return new CampaignStats
        {
            Campaign = campaign ?? new CampaignSummary("*", "All campaigns", null),
            From = From,
            To = To,
            TimeZone = range.TimeZoneId,
            Calls = t.Calls,
            Answered = t.Answered,
            Missed = missed,
            MissedByKind = new MissedByKind(t.Busy, t.Unanswered, t.Timeout, t.Rejected, t.Failed),
            Abandoned = t.Abandoned,
            NotConnected = t.NotConnected,
            AnswerRate = Ratio(t.Answered, t.Answered + missed),
            MissedRate = Ratio(missed, t.Answered + missed),
            AbandonRate = Ratio(t.Abandoned, t.Calls),
            TalkSeconds = t.TalkSeconds,
            AverageTalkSeconds = t.Answered == 0 ? null : Math.Round((double)t.TalkSeconds / t.Answered, 2),
            CarrierCost = CallEntry.FromMicros(t.CarrierCostMicros),
            EnrichmentCost = CallEntry.FromMicros(t.EnrichmentCostMicros),
            CallCost = callCost,
            MediaSpend = mediaSpend,
            TotalCost = totalCost,
            CostPerCall = t.Calls == 0 ? null : Math.Round(totalCost / t.Calls, 6),
            CostPerAnsweredCall = t.Answered == 0 ? null : Math.Round(totalCost / t.Answered, 6),
            UniqueCallers = t.Callers.Estimate(),
            UniqueCallersStandardError = Math.Round(CallerSketch.StandardError, 4),
            WithheldCallers = t.WithheldCallers,
            FirstTimeCallers = t.FirstTimeCallers,
            BestHour = best?.Hour,
            ByHourOfDay = byHour,
            ByDay = AllDays().Select(d => ByDay.TryGetValue(d, out var c)
                ? new DayBucket(d, c[0], c[1], c[2])
                : new DayBucket(d, 0, 0, 0)).ToList(),
            TopCountries = Top(t.Countries, 10),
            LineTypes = Top(t.LineTypes, 20),
            Hold = new HoldStats(t.Held, t.AnsweredAfterHold, t.AbandonedOnHold, t.Voicemail, t.HoldSeconds,
                t.Held == 0 ? null : Math.Round((double)t.HoldSeconds / t.Held, 2), Ratio(t.AbandonedOnHold, t.Held)),
        };
    }

    private IEnumerable<DateOnly> AllDays()
    {
        if (To <= From)
        {
            yield break;
        }

        var first = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(From, _zone).DateTime);
        var last = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(To.AddTicks(-1), _zone).DateTime);
        for (var d = first; d <= last; d = d.AddDays(1))
        {
            yield return d;
        }
    }

    private static void Bump(long[,] buckets, int hour, HourAggregate source, int quarter)
    {
        buckets[hour, 0] += source.CallsByQuarter[quarter];
        buckets[hour, 1] += source.AnsweredByQuarter[quarter];
        buckets[hour, 2] += source.MissedByQuarter[quarter];
    }

    private static double? Ratio(long part, long whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);

    private static List<DimensionCount> Top(Dictionary<string, long> counts, int take) =>
        counts.Where(kv => kv.Value > 0)
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(take)
            .Select(kv => new DimensionCount(kv.Key, kv.Value))
            .ToList();
}

public sealed record CampaignSummary(string Id, string Name, decimal? MonthlySpend)
{
    public static CampaignSummary From(Campaign campaign) => new(campaign.Id, campaign.Name, campaign.MonthlySpend);
}

public sealed record MissedByKind(long Busy, long Unanswered, long Timeout, long Rejected, long Failed);

public sealed record HourOfDayBucket(int Hour, long Calls, long Answered, long Missed);

public sealed record DayBucket(DateOnly Date, long Calls, long Answered, long Missed);

public sealed record DimensionCount(string Key, long Calls);

/// <summary>
/// One campaign's (or all campaigns') numbers for a range. Costs are EUR. <see cref="TotalCost"/> = carrier +
/// enrichment + prorated media spend; <see cref="CostPerCall"/> and <see cref="CostPerAnsweredCall"/> divide it.
/// Rates are fractions (0..1), null when undefined. <see cref="UniqueCallers"/> is a HyperLogLog estimate.
/// </summary>
public sealed record CampaignStats
{
    public required CampaignSummary Campaign { get; init; }

    public required DateTimeOffset From { get; init; }

    public required DateTimeOffset To { get; init; }

    public required string TimeZone { get; init; }

    public long Calls { get; init; }

    public long Answered { get; init; }

    public long Missed { get; init; }

    public required MissedByKind MissedByKind { get; init; }

    public long Abandoned { get; init; }

    public long NotConnected { get; init; }

    public double? AnswerRate { get; init; }

    public double? MissedRate { get; init; }

    public double? AbandonRate { get; init; }

    public long TalkSeconds { get; init; }

    public double? AverageTalkSeconds { get; init; }

    public decimal CarrierCost { get; init; }

    public decimal EnrichmentCost { get; init; }

    public decimal CallCost { get; init; }

    public decimal? MediaSpend { get; init; }

    public decimal TotalCost { get; init; }

    public decimal? CostPerCall { get; init; }

    public decimal? CostPerAnsweredCall { get; init; }

    public long UniqueCallers { get; init; }

    public double UniqueCallersStandardError { get; init; }

    public long WithheldCallers { get; init; }

    public long FirstTimeCallers { get; init; }

    public int? BestHour { get; init; }

    public required IReadOnlyList<HourOfDayBucket> ByHourOfDay { get; init; }

    public required IReadOnlyList<DayBucket> ByDay { get; init; }

    public required IReadOnlyList<DimensionCount> TopCountries { get; init; }

    public required IReadOnlyList<DimensionCount> LineTypes { get; init; }

    /// <summary>The hold queue: calls that waited, how their wait ended, and how long it was.</summary>
    public HoldStats Hold { get; init; } = HoldStats.None;

    /// <summary>Missed-call callbacks placed in the range (Callbacks/); null in the all-campaigns view.</summary>
    public Callbacks.CallbackSummary? Callbacks { get; init; }
}

/// <param name="Held">Calls whose caller waited in the hold queue.</param>
/// <param name="HoldAbandonRate">Of the calls that waited, those whose caller hung up while waiting.</param>
public sealed record HoldStats(long Held, long AnsweredAfterHold, long AbandonedOnHold, long Voicemail, long HoldSeconds,
    double? AverageHoldSeconds, double? HoldAbandonRate)
{
    public static readonly HoldStats None = new(0, 0, 0, 0, 0, null, null);
}

public sealed record AllCampaignStats(
    DateTimeOffset From,
    DateTimeOffset To,
    string TimeZone,
    CampaignStats Totals,
    IReadOnlyList<CampaignStats> Campaigns);

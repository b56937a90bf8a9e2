using Azure.Data.Tables;
using CallTracking.Functions.Callbacks;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Reporting;

/// <summary>
/// Campaign statistics from the hour aggregates only: a request reads at most (campaigns × hours in range) rows,
/// whatever the number of calls. The range is widened to whole UTC hours (<see cref="CampaignStats.From"/> and
/// <see cref="CampaignStats.To"/> say what was counted); for local dates in whole-hour zones that is the range asked for.
/// </summary>
public sealed class CampaignStatsService(ReportStore store, CampaignStore campaigns, TimeProvider time, CallbackStats callbacks)
{
    private const int Parallelism = 8;

    public DateTimeOffset Now => time.GetUtcNow();

    /// <exception cref="ReportNotFoundException">No such campaign.</exception>
    public async Task<CampaignStats> GetAsync(string campaignId, ReportRange range, CancellationToken cancellationToken)
    {
        var campaign = await campaigns.GetAsync(campaignId, cancellationToken)
            ?? throw new ReportNotFoundException("campaign", $"Campaign '{campaignId}' does not exist.");
        var report = await ReadAsync(campaign.Id, range, cancellationToken);
        var stats = report.ToStats(CampaignSummary.From(campaign), range, MonthlySpend.Prorate(campaign.MonthlySpend, range.From, range.To, range.TimeZone));
        return stats with { Callbacks = await CallbacksAsync(campaign, range, cancellationToken) };
    }

    /// <summary>Null for a campaign that never had callbacks (no policy, no attempts): the field is about the feature.</summary>
    private async Task<CallbackSummary?> CallbacksAsync(Campaign campaign, ReportRange range, CancellationToken cancellationToken)
    {
        var summary = await callbacks.SummaryAsync(campaign.Id, range.From, range.To, cancellationToken);
        return campaign.Callback is null && summary.Attempted == 0 ? null : summary;
    }

    public async Task<AllCampaignStats> GetAllAsync(ReportRange range, CancellationToken cancellationToken)
    {
        var list = await campaigns.ListAsync(cancellationToken);
        var reports = new RangeReport[list.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, list.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (i, ct) => reports[i] = await ReadAsync(list[i].Id, range, ct));

        var total = RangeReport.Empty(range);
        decimal? totalSpend = null;
        var perCampaign = new List<CampaignStats>(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            var spend = MonthlySpend.Prorate(list[i].MonthlySpend, range.From, range.To, range.TimeZone);
            perCampaign.Add(reports[i].ToStats(CampaignSummary.From(list[i]), range, spend));
            total.Add(reports[i]);
            totalSpend = spend is null ? totalSpend : (totalSpend ?? 0) + spend;
        }

        perCampaign.Sort((a, b) => b.Calls != a.Calls ? b.Calls.CompareTo(a.Calls) : string.CompareOrdinal(a.Campaign.Id, b.Campaign.Id));
        return new AllCampaignStats(total.From, total.To, range.TimeZoneId, total.ToStats(null, range, totalSpend), perCampaign);
    }

    /// <summary>
    /// Whole UTC months inside the range come from month rollups, the remaining whole UTC days from day rollups, the
    /// ragged ends from hour rows: a year is about 12 + 60 + 48 rows instead of 8,760. The key ranges are read
    /// concurrently; empty ones are not queried.
    /// </summary>
    private async Task<RangeReport> ReadAsync(string campaignId, ReportRange range, CancellationToken cancellationToken)
    {
        var report = RangeReport.Empty(range);
        var firstDay = CeilingDay(report.From);
        var lastDay = FloorDay(report.To);
        var parts = new List<Task<List<TableEntity>>>();
        if (firstDay >= lastDay)
        {
            parts.Add(ReadRowsAsync(store.QueryHoursAsync(campaignId, report.From, report.To, cancellationToken)));
        }
        else
        {
            var firstMonth = CeilingMonth(firstDay);
            var lastMonth = FloorMonth(lastDay);
            if (firstMonth >= lastMonth)
            {
                (firstMonth, lastMonth) = (lastDay, lastDay); // no whole month: days only
            }

            void Add(Func<DateTimeOffset, DateTimeOffset, CancellationToken, IAsyncEnumerable<TableEntity>> query, DateTimeOffset from, DateTimeOffset to)
            {
                if (from < to)
                {
                    parts.Add(ReadRowsAsync(query(from, to, cancellationToken)));
                }
            }

            Add((f, t, ct) => store.QueryHoursAsync(campaignId, f, t, ct), report.From, firstDay);
            Add((f, t, ct) => store.QueryDaysAsync(campaignId, f, t, ct), firstDay, firstMonth);
            Add((f, t, ct) => store.QueryMonthsAsync(campaignId, f, t, ct), firstMonth, lastMonth);
            Add((f, t, ct) => store.QueryDaysAsync(campaignId, f, t, ct), lastMonth, lastDay);
            Add((f, t, ct) => store.QueryHoursAsync(campaignId, f, t, ct), lastDay, report.To);
        }

        foreach (var rows in await Task.WhenAll(parts))
        {
            foreach (var row in rows)
            {
                report.AddBucket(ReportKeys.BucketStart(row.RowKey), HourAggregate.FromEntity(row));
            }
        }

        return report;
    }

    private static DateTimeOffset FloorDay(DateTimeOffset instant) => new(instant.UtcDateTime.Date, TimeSpan.Zero);

    private static DateTimeOffset CeilingDay(DateTimeOffset instant) =>
        FloorDay(instant) == instant ? instant : FloorDay(instant).AddDays(1);

    private static DateTimeOffset FloorMonth(DateTimeOffset instant) => new(instant.UtcDateTime.Year, instant.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset CeilingMonth(DateTimeOffset instant) =>
        FloorMonth(instant) == instant ? instant : FloorMonth(instant).AddMonths(1);

    private static async Task<List<TableEntity>> ReadRowsAsync(IAsyncEnumerable<TableEntity> rows)
    {
        var list = new List<TableEntity>();
        await foreach (var row in rows)
        {
            list.Add(row);
        }

        return list;
    }
}

/// <summary>A lookup for something that does not exist (maps to 404).</summary>
public sealed class ReportNotFoundException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>
/// Media spend over the requested range, prorated by time from each local calendar month it overlaps
/// (a full local month costs exactly the monthly spend; 1 of 30 days of a month costs 1/30 of it).
/// </summary>
public static class MonthlySpend
{
    public static decimal? Prorate(decimal? monthlySpend, DateTimeOffset from, DateTimeOffset to, TimeZoneInfo zone)
    {
        if (monthlySpend is not { } perMonth || to <= from)
        {
            return null;
        }

        var local = TimeZoneInfo.ConvertTime(from, zone);
        var month = new DateOnly(local.Year, local.Month, 1);
        decimal total = 0;
        while (true)
        {
            var monthStart = ReportRange.LocalMidnight(month, zone);
            if (monthStart >= to)
            {
                break;
            }

            var monthEnd = ReportRange.LocalMidnight(month.AddMonths(1), zone);
            var overlap = (Min(to, monthEnd) - Max(from, monthStart)).Ticks;
            if (overlap > 0)
            {
                total += perMonth * overlap / (monthEnd - monthStart).Ticks;
            }

            month = month.AddMonths(1);
        }

        return Math.Round(total, 6);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}

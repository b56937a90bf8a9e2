using System.Text.Json;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Reporting;

[Collection(AzuriteCollection.Name)]
public class CampaignStatsTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(11, "Europe/Berlin")]
    [InlineData(202, "America/New_York")]
    [InlineData(3003, "Asia/Kolkata")]
    public async Task Stats_for_a_month_equal_a_brute_force_recount_of_the_ledger(int seed, string tz)
    {
        await using var services = TestServices.Create(azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync(monthlySpend: 3100m);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(tz);
        // Calls start a day early, so some fall outside the range. Kolkata (+05:30) checks quarter-hour bucketing.
        var monthStart = ReportRange.LocalMidnight(new DateOnly(2026, 10, 1), zone);
        var calls = ReportingFixtures.MonthOfCalls(seed, campaign.Id, monthStart.AddDays(-1), 260);
        await data.ProcessAsync(calls);

        var range = ReportRange.Parse("2026-10-01", "2026-10-31", tz, Now);
        var stats = await services.GetRequiredService<CampaignStatsService>().GetAsync(campaign.Id, range, default);

        // Counted: whole UTC hours covering the range; in whole-hour zones exactly the local month.
        if (zone.BaseUtcOffset.Minutes == 0)
        {
            Assert.Equal(range.From, stats.From);
            Assert.Equal(range.To, stats.To);
        }

        Assert.True(stats.From <= range.From && stats.From > range.From.AddHours(-1));
        Assert.True(stats.To >= range.To && stats.To < range.To.AddHours(1));
        var expected = calls.Where(c => c.InboundStartTime >= stats.From && c.InboundStartTime < stats.To).ToList();
        Assert.InRange(expected.Count, 150, 260);
        int Count(CallOutcome outcome) => expected.Count(c => c.Outcome == outcome.ToString());
        var answered = Count(CallOutcome.Answered);
        var missed = Count(CallOutcome.Busy) + Count(CallOutcome.Unanswered) + Count(CallOutcome.Timeout) + Count(CallOutcome.Rejected) + Count(CallOutcome.Failed);

        Assert.Equal(expected.Count, stats.Calls);
        Assert.Equal(answered, stats.Answered);
        Assert.Equal(missed, stats.Missed);
        Assert.Equal(new MissedByKind(Count(CallOutcome.Busy), Count(CallOutcome.Unanswered), Count(CallOutcome.Timeout), Count(CallOutcome.Rejected), Count(CallOutcome.Failed)), stats.MissedByKind);
        Assert.Equal(Count(CallOutcome.Abandoned), stats.Abandoned);
        Assert.Equal(Count(CallOutcome.NotConnected), stats.NotConnected);
        Assert.Equal(Math.Round((double)answered / (answered + missed), 4), stats.AnswerRate);
        Assert.Equal(Math.Round((double)missed / (answered + missed), 4), stats.MissedRate);
        Assert.Equal(expected.Sum(c => (long)c.TalkSeconds!.Value), stats.TalkSeconds);
        Assert.Equal(Math.Round(expected.Sum(c => (double)c.TalkSeconds!.Value) / answered, 2), stats.AverageTalkSeconds);
        var carrier = expected.Sum(c => (decimal)c.CarrierCost!.Value);
        var enrichment = expected.Sum(c => (decimal)c.EnrichmentCost!.Value);
        Assert.Equal(carrier, stats.CarrierCost);
        Assert.Equal(enrichment, stats.EnrichmentCost);
        Assert.Equal(3100m, stats.MediaSpend); // the range is exactly one local month
        Assert.Equal(carrier + enrichment + 3100m, stats.TotalCost);
        Assert.Equal(Math.Round((carrier + enrichment + 3100m) / expected.Count, 6), stats.CostPerCall);
        Assert.Equal(Math.Round((carrier + enrichment + 3100m) / answered, 6), stats.CostPerAnsweredCall);
        Assert.Equal(expected.Count(c => c.FirstTimeCaller == true), stats.FirstTimeCallers);
        Assert.Equal(expected.Count(c => c.CallerNumber is null), stats.WithheldCallers);

        var unique = expected.Where(c => c.CallerNumber is not null).Select(c => c.CallerNumber).Distinct().Count();
        Assert.InRange(stats.UniqueCallers, unique - 2 - (unique / 50), unique + 2 + (unique / 50));

        var countries = expected.GroupBy(c => c.CallerCountry ?? "unknown").ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(countries.OrderBy(kv => kv.Key), stats.TopCountries.ToDictionary(d => d.Key, d => d.Calls).OrderBy(kv => kv.Key));
        var lineTypes = expected.GroupBy(c => c.CallerLineType!).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(lineTypes.OrderBy(kv => kv.Key), stats.LineTypes.ToDictionary(d => d.Key, d => d.Calls).OrderBy(kv => kv.Key));

        for (var hour = 0; hour < 24; hour++)
        {
            var inHour = expected.Where(c => TimeZoneInfo.ConvertTime(c.InboundStartTime!.Value, zone).Hour == hour).ToList();
            var bucket = stats.ByHourOfDay[hour];
            Assert.Equal(hour, bucket.Hour);
            Assert.Equal(inHour.Count, bucket.Calls);
            Assert.Equal(inHour.Count(c => c.Outcome == nameof(CallOutcome.Answered)), bucket.Answered);
        }

        var firstDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(stats.From, zone).DateTime);
        var lastDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(stats.To.AddTicks(-1), zone).DateTime);
        Assert.Equal(Enumerable.Range(0, lastDay.DayNumber - firstDay.DayNumber + 1).Select(firstDay.AddDays), stats.ByDay.Select(d => d.Date));
        Assert.Equal(zone.BaseUtcOffset.Minutes == 0 ? 31 : 33, stats.ByDay.Count);
        foreach (var day in stats.ByDay)
        {
            var onDay = expected.Count(c => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(c.InboundStartTime!.Value, zone).DateTime) == day.Date);
            Assert.Equal(onDay, day.Calls);
        }

        // All campaigns side by side: this campaign's row is the same numbers.
        var all = await services.GetRequiredService<CampaignStatsService>().GetAllAsync(range, default);
        var mine = Assert.Single(all.Campaigns, c => c.Campaign.Id == campaign.Id);
        Assert.Equal(stats.Calls, mine.Calls);
        Assert.Equal(stats.TotalCost, mine.TotalCost);
        Assert.True(all.Totals.Calls >= stats.Calls);
    }

    [Fact]
    public async Task Applying_the_same_call_twice_counts_it_once_and_a_changed_call_moves_its_contribution()
    {
        await using var services = TestServices.Create(azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync();
        var start = new DateTimeOffset(2026, 6, 3, 14, 5, 0, TimeSpan.Zero);
        var call = ReportingFixtures.RandomCall(new Random(1), TestServices.UniqueId("call"), campaign.Id, start, ["+12025550100"]);
        call.Outcome = nameof(CallOutcome.Answered);
        call.TalkSeconds = 60;
        await data.ProcessAsync([call]);
        await data.ApplyAsync(call, default); // redelivered queue message
        await data.ApplyAsync(call, default);

        var stats = services.GetRequiredService<CampaignStatsService>();
        var range = ReportRange.Parse("2026-06-03", "2026-06-03", "UTC", Now);
        var once = await stats.GetAsync(campaign.Id, range, default);
        Assert.Equal(1, once.Calls);
        Assert.Equal(1, once.Answered);
        Assert.Equal(60, once.TalkSeconds);
        Assert.Equal(1, once.UniqueCallers);

        // Reprocessed with a different result (a late event changed the outcome), and an hour later start.
        call.Outcome = nameof(CallOutcome.Busy);
        call.TalkSeconds = 0;
        call.InboundStartTime = start.AddHours(1);
        await data.ApplyAsync(call, default);
        var moved = await stats.GetAsync(campaign.Id, range, default);
        Assert.Equal(1, moved.Calls);
        Assert.Equal(0, moved.Answered);
        Assert.Equal(1, moved.MissedByKind.Busy);
        Assert.Equal(0, moved.TalkSeconds);
        Assert.Equal(0, moved.ByHourOfDay[14].Calls);
        Assert.Equal(1, moved.ByHourOfDay[15].Calls);

        var records = services.GetRequiredService<CallRecordsService>();
        var page = await records.GetPageAsync(Query(services, $"campaign={campaign.Id}&from=2026-06-03&to=2026-06-03"), default);
        var only = Assert.Single(page.Items);
        Assert.Equal(CallOutcome.Busy, only.Status);
        Assert.Equal(start.AddHours(1), only.Start);
    }

    [Fact]
    public async Task Concurrent_calls_in_one_hour_are_all_counted()
    {
        await using var services = TestServices.Create(azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync();
        var random = new Random(7);
        var hour = new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);
        var prefix = TestServices.UniqueId("call");
        var calls = Enumerable.Range(0, 48)
            .Select(i => ReportingFixtures.RandomCall(random, $"{prefix}-{i}", campaign.Id, hour.AddSeconds(random.Next(3600)), ["+12025550100", "+12025550101"]))
            .ToList();

        await data.ProcessAsync(calls, parallelism: 16);

        var stats = await services.GetRequiredService<CampaignStatsService>()
            .GetAsync(campaign.Id, ReportRange.Parse("2026-07-01T09:00:00Z", "2026-07-01T10:00:00Z", null, Now), default);
        Assert.Equal(48, stats.Calls);
        Assert.Equal(calls.Sum(c => (long)c.TalkSeconds!.Value), stats.TalkSeconds);
        Assert.Equal(calls.Sum(c => (decimal)c.CarrierCost!.Value), stats.CarrierCost);
    }

    [Theory]
    [InlineData("America/New_York")] // DST starts on 2026-03-08, inside the whole months read from month rollups
    [InlineData("Asia/Kolkata")]
    public async Task A_range_spanning_months_equals_the_sum_of_its_hour_rows(string tz)
    {
        await using var services = TestServices.Create(azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync(monthlySpend: 900m);
        var random = new Random(tz.Length);
        var pool = ReportingFixtures.CallerPool(random, 120);
        var first = new DateTimeOffset(2026, 1, 20, 0, 0, 0, TimeSpan.Zero);
        var prefix = TestServices.UniqueId("call");
        var calls = Enumerable.Range(0, 400)
            .Select(i => ReportingFixtures.RandomCall(random, $"{prefix}-{i}", campaign.Id, first.AddMinutes(random.Next(80 * 24 * 60)), pool))
            .ToList();
        await data.ProcessAsync(calls);

        // Ragged hours, whole days, the whole UTC months February and March, whole days, ragged hours again.
        var range = ReportRange.Parse("2026-01-25T07:00", "2026-04-03T05:30", tz, Now);
        var stats = await services.GetRequiredService<CampaignStatsService>().GetAsync(campaign.Id, range, default);

        var fromHours = RangeReport.Empty(range);
        await foreach (var row in services.GetRequiredService<ReportStore>().QueryHoursAsync(campaign.Id, fromHours.From, fromHours.To, default))
        {
            fromHours.AddBucket(ReportKeys.HourOf(row.RowKey), HourAggregate.FromEntity(row));
        }

        var expected = fromHours.ToStats(stats.Campaign, range, stats.MediaSpend);
        Assert.Equal(calls.Count(c => c.InboundStartTime >= stats.From && c.InboundStartTime < stats.To), stats.Calls);
        Assert.InRange(stats.Calls, 250, 380);
        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(stats));
    }

    [Fact]
    public async Task Two_versions_of_one_call_applied_concurrently_leave_exactly_one_of_them_counted()
    {
        await using var services = TestServices.Create(azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync();
        var random = new Random(3);
        var hour = new DateTimeOffset(2026, 8, 1, 9, 0, 0, TimeSpan.Zero);
        var prefix = TestServices.UniqueId("call");
        var entries = Enumerable.Range(0, 30)
            .Select(i => ReportingFixtures.Entry(ReportingFixtures.RandomCall(random, $"{prefix}-{i}", campaign.Id, hour.AddSeconds(random.Next(3600)), ["+12025550100"])))
            .ToList();
        var answered = entries[0] with { Outcome = CallOutcome.Answered, TalkSeconds = 100 };
        var busy = entries[0] with { Outcome = CallOutcome.Busy, TalkSeconds = 0, Start = hour.AddDays(1) }; // another hour, day

        // Both versions and every other call in flight at once: they share batches, in either order.
        await Task.WhenAll(entries.Skip(1).Append(answered).Append(busy).Append(answered)
            .Select(e => Task.Run(() => data.Writer.ApplyAsync(e, default))));

        var marker = await services.GetRequiredService<ReportStore>().GetAsync(campaign.Id, ReportKeys.IndexKey(answered.CallId), default);
        var applied = CallEntry.FromIndexRow(marker!)!;
        Assert.Contains(applied, new[] { answered, busy });
        var counted = entries.Skip(1).Append(applied).ToList();
        var stats = await services.GetRequiredService<CampaignStatsService>()
            .GetAsync(campaign.Id, ReportRange.Parse("2026-08-01", "2026-08-02", "UTC", Now), default);
        Assert.Equal(30, stats.Calls);
        Assert.Equal(counted.Count(e => e.Outcome == CallOutcome.Answered), stats.Answered);
        Assert.Equal(counted.Sum(e => (long)e.TalkSeconds), stats.TalkSeconds);
        var august = await services.GetRequiredService<CampaignStatsService>()
            .GetAsync(campaign.Id, ReportRange.Parse("2026-08-01", "2026-08-31", "UTC", Now), default);
        Assert.Equal(30, august.Calls); // the month rollup agrees

        var page = await services.GetRequiredService<CallRecordsService>()
            .GetPageAsync(Query(services, $"campaign={campaign.Id}&from=2026-08-01&to=2026-08-02"), default);
        Assert.Equal(30, page.Items.Count);
        Assert.Single(page.Items, i => i.Id == applied.CallId);
    }

    [Fact]
    public async Task Rebuild_recomputes_aggregates_from_the_ledger()
    {
        await using var services = TestServices.Create(azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync();
        var monthStart = new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero);
        var applied = ReportingFixtures.MonthOfCalls(5, campaign.Id, monthStart, 60);
        var neverApplied = ReportingFixtures.MonthOfCalls(6, campaign.Id, monthStart, 40); // e.g. processed before reporting existed
        await data.ProcessAsync(applied);
        await data.ProcessAsync(neverApplied, applyToReports: false);

        // A bug wrote a wrong hour row and a wrong day rollup.
        var store = services.GetRequiredService<ReportStore>();
        var wrongHour = new HourAggregate { Calls = 999, Answered = 999 };
        await store.Table.UpsertEntityAsync(wrongHour.ToEntity(campaign.Id, ReportKeys.HourKey(monthStart.AddDays(3))));
        var wrongDay = ReportKeys.NewAggregate(ReportKeys.DayKey(monthStart.AddDays(3)));
        wrongDay.Calls = 999;
        wrongDay.Answered = 999;
        await store.Table.UpsertEntityAsync(wrongDay.ToEntity(campaign.Id, ReportKeys.DayKey(monthStart.AddDays(3))));
        var wrongMonth = ReportKeys.NewAggregate(ReportKeys.MonthKey(monthStart));
        wrongMonth.Calls = 999;
        await store.Table.UpsertEntityAsync(wrongMonth.ToEntity(campaign.Id, ReportKeys.MonthKey(monthStart)));

        var stats = services.GetRequiredService<CampaignStatsService>();
        var range = ReportRange.Parse("2025-02-01", "2025-02-28", "UTC", Now);
        var dayRange = ReportRange.Parse("2025-02-04", "2025-02-04", "UTC", Now);
        Assert.Equal(999, (await stats.GetAsync(campaign.Id, range, default)).Calls); // the whole month reads the month rollup
        Assert.Equal(999, (await stats.GetAsync(campaign.Id, dayRange, default)).Calls); // a whole day reads the day rollup

        var result = await services.GetRequiredService<ReportRebuilder>().RebuildAsync(range.From, range.To, default);
        Assert.True(result.CallsInRange >= 100);

        var rebuilt = await stats.GetAsync(campaign.Id, range, default);
        var all = applied.Concat(neverApplied).ToList();
        Assert.Equal(all.Count, rebuilt.Calls);
        Assert.Equal(all.Count(c => c.Outcome == nameof(CallOutcome.Answered)), rebuilt.Answered);
        Assert.Equal(all.Sum(c => (decimal)c.CarrierCost!.Value), rebuilt.CarrierCost);
        Assert.Equal(all.Count(c => c.InboundStartTime >= monthStart.AddDays(3) && c.InboundStartTime < monthStart.AddDays(4)), (await stats.GetAsync(campaign.Id, dayRange, default)).Calls);
        var hourly = await stats.GetAsync(campaign.Id, ReportRange.Parse("2025-02-04T00:00:00Z", "2025-02-04T23:00:00Z", "UTC", Now), default);
        Assert.Equal(all.Count(c => c.InboundStartTime >= monthStart.AddDays(3) && c.InboundStartTime < monthStart.AddDays(3).AddHours(23)), hourly.Calls);

        // The projection is complete too, and re-applying an already rebuilt call changes nothing.
        var page = await services.GetRequiredService<CallRecordsService>()
            .GetPageAsync(Query(services, $"campaign={campaign.Id}&from=2025-02-01&to=2025-02-28&limit=1000"), default);
        Assert.Equal(all.Count, page.Items.Count);
        Assert.False(await data.Writer.ApplyAsync(ReportingFixtures.Entry(neverApplied[0]), default));
        Assert.Equal(all.Count, (await stats.GetAsync(campaign.Id, range, default)).Calls);
    }

    [Fact]
    public async Task Unknown_campaign_is_not_found()
    {
        await using var services = TestServices.Create(azurite);
        var range = ReportRange.Parse(null, null, null, Now);
        var ex = await Assert.ThrowsAsync<ReportNotFoundException>(() =>
            services.GetRequiredService<CampaignStatsService>().GetAsync(TestServices.UniqueId("none"), range, default));
        Assert.Equal("campaign", ex.Field);
    }

    internal static CallQuery Query(IServiceProvider services, string query, bool page = true)
    {
        var values = System.Web.HttpUtility.ParseQueryString(query);
        var dict = values.AllKeys.OfType<string>().ToDictionary(k => k, k => values[k]);
        var records = services.GetRequiredService<CallRecordsService>();
        return page
            ? CallQuery.Parse(dict, records.DefaultCountry, Now)
            : CallQuery.ParseExport(dict, records.DefaultCountry, Now, records.CsvRowsPerPart);
    }
}

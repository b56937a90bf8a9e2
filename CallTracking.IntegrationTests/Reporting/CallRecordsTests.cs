using System.Globalization;
using System.Text;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Reporting;

[Collection(AzuriteCollection.Name)]
public class CallRecordsTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Paging_by_offset_and_by_continuation_returns_every_call_exactly_once_newest_first()
    {
        await using var services = TestServices.Create(azurite);
        var data = new ReportingFixtures(services);
        var a = await data.CampaignAsync();
        var b = await data.CampaignAsync();
        var start = new DateTimeOffset(2024, 5, 1, 0, 0, 0, TimeSpan.Zero); // a year no other test writes
        var calls = ReportingFixtures.MonthOfCalls(21, a.Id, start, 70)
            .Concat(ReportingFixtures.MonthOfCalls(22, b.Id, start, 53))
            .ToList();
        calls[1].InboundStartTime = calls[0].InboundStartTime; // a tie across campaigns
        calls[80].InboundStartTime = calls[0].InboundStartTime;
        await data.ProcessAsync(calls);
        var records = services.GetRequiredService<CallRecordsService>();
        var filter = $"from=2024-05-01&to=2024-05-31";

        foreach (var campaign in new[] { a.Id, b.Id })
        {
            var expected = calls.Where(c => c.CampaignId == campaign).Select(c => c.PartitionKey).Order().ToList();
            var byOffset = new List<CallDetail>();
            for (var offset = 0; ; offset += 20)
            {
                var page = await records.GetPageAsync(Query(services, $"{filter}&campaign={campaign}&limit=20&offset={offset}"), default);
                byOffset.AddRange(page.Items);
                if (!page.HasMore)
                {
                    break;
                }
            }

            Assert.Equal(expected, byOffset.Select(c => c.Id).Order());
            Assert.Equal(byOffset.OrderByDescending(c => c.Start).Select(c => c.Start), byOffset.Select(c => c.Start));
        }

        // Across campaigns (merged streams), with the continuation token.
        var all = new List<CallDetail>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await records.GetPageAsync(Query(services, $"{filter}&limit=17" + (token is null ? "" : "&continuation=" + token)), default);
            all.AddRange(page.Items);
            token = page.Continuation;
            Assert.Equal(page.HasMore, token is not null);
            pages++;
        }
        while (token is not null);

        var mine = all.Where(c => c.CampaignId == a.Id || c.CampaignId == b.Id).ToList();
        Assert.Equal(calls.Select(c => c.PartitionKey).Order(), mine.Select(c => c.Id).Order());
        Assert.Equal(all.Count, all.Select(c => c.Id).Distinct().Count());
        Assert.Equal(all.OrderByDescending(c => c.Start).Select(c => c.Start), all.Select(c => c.Start));
        Assert.True(pages >= 123 / 17);

        // Details: campaign name, caller details, price.
        var sample = calls[5];
        var detail = all.Single(c => c.Id == sample.PartitionKey);
        Assert.Equal(a.Name, detail.CampaignName);
        Assert.Equal(sample.CallerNumber, detail.From);
        Assert.Equal(sample.TrackingNumber, detail.To);
        Assert.Equal((decimal)sample.CarrierCost!.Value, detail.Price);
        Assert.Equal(sample.CallerCarrier, detail.CallerCarrier);
        // Our copy's route, never Vonage's expiring URL.
        Assert.Equal(sample.RecordingUrl is null ? null : $"/api/calls/{sample.PartitionKey}/recording", detail.RecordingUrl);
        Assert.Equal(sample.CallSeconds, detail.Duration);
    }

    [Fact]
    public async Task Status_and_caller_filters_accept_any_number_format()
    {
        await using var services = TestServices.Create(azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync();
        var start = new DateTimeOffset(2024, 8, 1, 0, 0, 0, TimeSpan.Zero);
        var calls = ReportingFixtures.MonthOfCalls(31, campaign.Id, start, 60);
        calls[0].CallerNumber = "+442079460123";
        calls[0].Outcome = nameof(CallOutcome.Busy);
        calls[1].CallerNumber = "+442079460123";
        calls[1].Outcome = nameof(CallOutcome.Answered);
        await data.ProcessAsync(calls);
        var records = services.GetRequiredService<CallRecordsService>();

        var byCaller = await records.GetPageAsync(Query(services, $"campaign={campaign.Id}&from=2024-08-01&to=2024-08-31&caller=0044%2020%207946%200123"), default);
        Assert.Equal([calls[0].PartitionKey, calls[1].PartitionKey], byCaller.Items.Select(c => c.Id).Order());

        var busy = await records.GetPageAsync(Query(services, $"campaign={campaign.Id}&from=2024-08-01&to=2024-08-31&status=busy&limit=1000"), default);
        Assert.Equal(calls.Count(c => c.Outcome == nameof(CallOutcome.Busy)), busy.Items.Count);
        Assert.All(busy.Items, c => Assert.Equal(CallOutcome.Busy, c.Status));

        var both = await records.GetPageAsync(Query(services, $"campaign={campaign.Id}&from=2024-08-01&to=2024-08-31&status=answered&caller=44%2020%207946%200123"), default);
        Assert.Equal(calls[1].PartitionKey, Assert.Single(both.Items).Id);
    }

    [Fact]
    public async Task Csv_round_trips_through_an_RFC_4180_parser()
    {
        await using var services = TestServices.Create(azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync(name: "Spring \"Sale\", TV\r\nspot; ünïcode");
        var start = new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var calls = ReportingFixtures.MonthOfCalls(41, campaign.Id, start, 600);
        await data.ProcessAsync(calls, parallelism: 16);
        var records = services.GetRequiredService<CallRecordsService>();
        var query = Query(services, $"campaign={campaign.Id}&from=2024-03-01&to=2024-03-31", page: false);

        using var output = new MemoryStream();
        var part = await records.ExportPartAsync(query, output, default);
        var text = Encoding.UTF8.GetString(output.ToArray());
        var rows = Rfc4180.Parse(text);

        Assert.Equal(calls.Count, part.Rows);
        Assert.Null(part.Continuation); // 600 calls fit in one part
        Assert.Equal(CallCsvWriter.Header, rows[0]);
        Assert.Equal(calls.Count + 1, rows.Count);
        Assert.All(rows, r => Assert.Equal(CallCsvWriter.Header.Length, r.Count));
        var byId = calls.ToDictionary(c => c.PartitionKey);
        foreach (var row in rows.Skip(1))
        {
            var call = byId[row[0]];
            Assert.Equal(campaign.Id, row[1]);
            Assert.Equal(campaign.Name, row[2]);
            Assert.Equal(call.TrackingNumber, row[3]);
            Assert.Equal(call.CallerNumber ?? "", row[4]);
            Assert.Equal(call.Outcome, row[5], ignoreCase: true);
            Assert.Equal(call.InboundStartTime, DateTimeOffset.Parse(row[6], CultureInfo.InvariantCulture));
            Assert.Equal(call.CallSeconds, int.Parse(row[8], CultureInfo.InvariantCulture));
            Assert.Equal(call.RecordingUrl is null ? "" : $"/api/calls/{call.PartitionKey}/recording", row[10]);
            Assert.Equal((decimal)call.CarrierCost!.Value, decimal.Parse(row[11], CultureInfo.InvariantCulture));
            Assert.Equal(call.CallerCarrier, row[14]);
        }

        Assert.Equal(calls.Select(c => c.PartitionKey).Order(), rows.Skip(1).Select(r => r[0]).Order());
        Assert.EndsWith("\r\n", text);
    }

    [Fact]
    public async Task Time_zone_bucketing_is_right_across_DST_changes_and_in_half_hour_zones()
    {
        await using var services = TestServices.Create(azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync();
        var prefix = TestServices.UniqueId("call");
        DateTimeOffset[] starts =
        [
            // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
            new(2026, 3, 8, 6, 30, 0, TimeSpan.Zero), // 01:30 EST
            new(2026, 3, 8, 7, 30, 0, TimeSpan.Zero), // 03:30 EDT
            new(2026, 3, 8, 4, 59, 0, TimeSpan.Zero), // 23:59 EST on the 7th
            // New York, 2026-11-01: 02:00 EDT falls back to 01:00 EST (06:00Z); 01:xx happens twice.
            new(2026, 11, 1, 5, 30, 0, TimeSpan.Zero), // 01:30 EDT
            new(2026, 11, 1, 6, 30, 0, TimeSpan.Zero), // 01:30 EST
            new(2026, 11, 1, 7, 10, 0, TimeSpan.Zero), // 02:10 EST
        ];
        var random = new Random(3);
        var calls = starts.Select((s, i) =>
        {
            var call = ReportingFixtures.RandomCall(random, $"{prefix}-{i}", campaign.Id, s, ["+12025550100"]);
            call.Outcome = nameof(CallOutcome.Answered);
            return call;
        }).ToList();
        await data.ProcessAsync(calls);
        var stats = services.GetRequiredService<CampaignStatsService>();

        var march = await stats.GetAsync(campaign.Id, ReportRange.Parse("2026-03-08", "2026-03-08", "America/New_York", Now), default);
        Assert.Equal(new DateTimeOffset(2026, 3, 8, 5, 0, 0, TimeSpan.Zero), march.From);
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 4, 0, 0, TimeSpan.Zero), march.To); // a 23-hour day
        Assert.Equal(2, march.Calls);
        Assert.Equal(1, march.ByHourOfDay[1].Calls);
        Assert.Equal(0, march.ByHourOfDay[2].Calls);
        Assert.Equal(1, march.ByHourOfDay[3].Calls);
        Assert.Equal(1, march.ByHourOfDay[3].Answered);
        var marchDay = Assert.Single(march.ByDay);
        Assert.Equal((new DateOnly(2026, 3, 8), 2L), (marchDay.Date, marchDay.Calls));

        var weekend = await stats.GetAsync(campaign.Id, ReportRange.Parse("2026-03-07", "2026-03-08", "America/New_York", Now), default);
        Assert.Equal([1L, 2L], weekend.ByDay.Select(d => d.Calls));
        Assert.Equal(1, weekend.ByHourOfDay[23].Calls);

        var november = await stats.GetAsync(campaign.Id, ReportRange.Parse("2026-11-01", "2026-11-01", "America/New_York", Now), default);
        Assert.Equal(TimeSpan.FromHours(25), november.To - november.From);
        Assert.Equal(3, november.Calls);
        Assert.Equal(2, november.ByHourOfDay[1].Calls);
        Assert.Equal(1, november.ByHourOfDay[2].Calls);

        // Kolkata (+05:30): 05:30Z, 06:30Z and 07:10Z are 11:00, 12:00 and 12:40 IST. Bucketing whole UTC hours by
        // their start would put them at 10, 11 and 12; quarter-hour counts put them where they belong.
        var india = await stats.GetAsync(campaign.Id, ReportRange.Parse("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", "Asia/Kolkata", Now), default);
        Assert.Equal(3, india.Calls);
        Assert.Equal(2, india.ByHourOfDay[12].Calls);
        Assert.Equal(0, india.ByHourOfDay[13].Calls);
        Assert.Equal(1, india.ByHourOfDay[11].Calls);
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-02-30", "from")]
    [InlineData("to=2026-13-01", "to")]
    [InlineData("from=2026-03-10&to=2026-03-01", "to")]
    [InlineData("from=2020-01-01&to=2026-01-01", "to")]
    [InlineData("tz=Mars/Olympus", "tz")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("offset=-1", "offset")]
    [InlineData("offset=20000", "offset")]
    [InlineData("status=ringing", "status")]
    [InlineData("caller=not-a-number", "caller")]
    [InlineData("continuation=abc", "continuation")]
    [InlineData("campaign=a/b", "campaign")]
    public async Task Bad_parameters_name_the_field(string query, string field)
    {
        await using var services = TestServices.Create(azurite);
        var ex = Assert.Throws<ValidationException>(() => Query(services, query));
        Assert.Contains(ex.Errors, e => e.Field == field);
    }

    [Fact]
    public async Task Unknown_campaign_in_call_records_is_not_found()
    {
        await using var services = TestServices.Create(azurite);
        var records = services.GetRequiredService<CallRecordsService>();
        var query = Query(services, "campaign=" + TestServices.UniqueId("none"));
        Assert.Equal("campaign", (await Assert.ThrowsAsync<ReportNotFoundException>(() => records.GetPageAsync(query, default))).Field);
        using var output = new MemoryStream();
        Assert.Equal("campaign", (await Assert.ThrowsAsync<ReportNotFoundException>(() => records.ExportPartAsync(query, output, default))).Field);
        Assert.Equal(0, output.Length); // nothing written: the function can still answer 404
    }

    private static CallQuery Query(IServiceProvider services, string query, bool page = true) =>
        CampaignStatsTests.Query(services, query, page);
}

/// <summary>A strict RFC 4180 reader (CRLF records, quoted fields with doubled quotes), written for the tests.</summary>
internal static class Rfc4180
{
    public static List<List<string>> Parse(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"' && field.Length == 0)
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new FormatException("Unterminated quoted field.");
                    }

                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(text[i++]);
                }

                if (i < text.Length && text[i] != ',' && text[i] != '\r')
                {
                    throw new FormatException($"Character after a closing quote at {i}.");
                }
            }
            else if (text[i] == ',')
            {
                row.Add(field.ToString());
                field.Clear();
                i++;
            }
            else if (text[i] == '\r')
            {
                if (i + 1 >= text.Length || text[i + 1] != '\n')
                {
                    throw new FormatException($"Bare CR at {i}.");
                }

                row.Add(field.ToString());
                field.Clear();
                rows.Add(row);
                row = [];
                i += 2;
            }
            else if (text[i] is '"' or '\n')
            {
                throw new FormatException($"Unquoted {(text[i] == '"' ? "quote" : "LF")} at {i}.");
            }
            else
            {
                field.Append(text[i++]);
            }
        }

        if (field.Length > 0 || row.Count > 0)
        {
            throw new FormatException("The last record has no CRLF.");
        }

        return rows;
    }
}

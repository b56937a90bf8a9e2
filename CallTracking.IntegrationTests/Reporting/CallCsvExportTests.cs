using System.Text;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Reporting;

/// <summary>The CSV export in bounded parts, against Azurite: split, complete, no duplicates, parseable, defused.</summary>
[Collection(AzuriteCollection.Name)]
public class CallCsvExportTests(AzuriteFixture azurite)
{
    private const int PartRows = 40;

    [Fact]
    public async Task An_export_larger_than_one_part_is_split_and_every_call_appears_exactly_once()
    {
        await using var services = TestServices.Create(azurite, new Dictionary<string, string?> { ["Reporting:CsvRowsPerPart"] = PartRows.ToString() });
        var records = services.GetRequiredService<CallRecordsService>();
        Assert.Equal(PartRows, records.CsvRowsPerPart);
        var data = new ReportingFixtures(services);
        var a = await data.CampaignAsync();
        var b = await data.CampaignAsync();
        var start = new DateTimeOffset(2023, 6, 1, 0, 0, 0, TimeSpan.Zero); // a month no other test writes
        var calls = ReportingFixtures.MonthOfCalls(51, a.Id, start, 80)
            .Concat(ReportingFixtures.MonthOfCalls(52, b.Id, start, 57))
            .ToList();
        calls[1].InboundStartTime = calls[0].InboundStartTime; // ties, within and across campaigns, may straddle a part boundary
        calls[100].InboundStartTime = calls[0].InboundStartTime;
        calls[101].InboundStartTime = calls[0].InboundStartTime;
        await data.ProcessAsync(calls, parallelism: 16);

        // All campaigns (merged streams), default part size: the configured maximum.
        var parts = await ExportAsync(services, "from=2023-06-01&to=2023-06-30");
        var rows = parts.SelectMany(p => p).ToList();
        Assert.True(parts.Count >= 4, $"{calls.Count} calls in {parts.Count} part(s) of {PartRows}");
        Assert.All(parts.SkipLast(1), p => Assert.Equal(PartRows, p.Count));
        Assert.InRange(parts[^1].Count, 1, PartRows);
        Assert.Equal(rows.Count, rows.Select(r => r[0]).Distinct().Count()); // nothing twice across parts
        var mine = rows.Where(r => r[1] == a.Id || r[1] == b.Id).Select(r => r[0]).Order().ToList();
        Assert.Equal(calls.Select(c => c.PartitionKey).Order(), mine); // nothing missing
        var starts = rows.Select(r => DateTimeOffset.Parse(r[6], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(starts.OrderDescending(), starts); // newest first, continued across parts

        // One campaign with a smaller limit that divides its calls exactly: no empty part at the end.
        var exact = await ExportAsync(services, $"campaign={a.Id}&from=2023-06-01&to=2023-06-30&limit=20");
        Assert.Equal([20, 20, 20, 20], exact.Select(p => p.Count));
        Assert.Equal(calls.Where(c => c.CampaignId == a.Id).Select(c => c.PartitionKey).Order(), exact.SelectMany(p => p).Select(r => r[0]).Order());

        // Filters hold in every part.
        var answered = await ExportAsync(services, $"campaign={b.Id}&from=2023-06-01&to=2023-06-30&status=answered&limit=3");
        Assert.Equal(calls.Count(c => c.CampaignId == b.Id && c.Outcome == nameof(CallOutcome.Answered)), answered.Sum(p => p.Count));
        Assert.All(answered.SelectMany(p => p), r => Assert.Equal("answered", r[5]));
    }

    [Fact]
    public async Task Formula_like_text_is_defused_and_numbers_are_not()
    {
        await using var services = TestServices.Create(azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync(name: "=HYPERLINK(\"http://evil.example\",\"x\")");
        var start = new DateTimeOffset(2023, 7, 1, 0, 0, 0, TimeSpan.Zero);
        var calls = ReportingFixtures.MonthOfCalls(53, campaign.Id, start, 5);
        string[] carriers = ["@SUM(1+1)*cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3", "=Equals Telecom", "Plain, \"quoted\""];
        for (var i = 0; i < calls.Count; i++)
        {
            calls[i].CallerCarrier = carriers[i];
            calls[i].CallerNumber = "+1202555010" + i;
        }

        await data.ProcessAsync(calls);

        var rows = (await ExportAsync(services, $"campaign={campaign.Id}&from=2023-07-01&to=2023-07-31")).Single();
        Assert.Equal(calls.Count, rows.Count);
        Assert.All(rows, r => Assert.Equal("'" + campaign.Name, r[2]));
        var byId = rows.ToDictionary(r => r[0]);
        foreach (var call in calls)
        {
            var row = byId[call.PartitionKey];
            Assert.Equal(call.CallerNumber, row[4]); // an E.164 number is a number, left alone
            var carrier = call.CallerCarrier!;
            Assert.Equal(carrier[0] is '=' or '+' or '-' or '@' or '\t' ? "'" + carrier : carrier, row[14]);
        }

        Assert.Equal("+14155550100", CallCsvWriter.DefuseFormula("+14155550100"));
        Assert.Equal("-0.25", CallCsvWriter.DefuseFormula("-0.25"));
        Assert.Equal("'-", CallCsvWriter.DefuseFormula("-"));
        Assert.Equal("'+1.", CallCsvWriter.DefuseFormula("+1."));
        Assert.Equal("'=1", CallCsvWriter.DefuseFormula("=1"));
        Assert.Equal("'\tTab Telecom", CallCsvWriter.DefuseFormula("\tTab Telecom")); // stored values are trimmed; the writer still guards
    }

    [Theory]
    [InlineData("limit=41", "limit")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1e3", "limit")]
    [InlineData("continuation=abc", "continuation")]
    [InlineData("from=2023-06-30&to=2023-06-01", "to")]
    [InlineData("status=ringing", "status")]
    public async Task Bad_export_parameters_name_the_field(string query, string field)
    {
        await using var services = TestServices.Create(azurite, new Dictionary<string, string?> { ["Reporting:CsvRowsPerPart"] = PartRows.ToString() });
        var ex = Assert.Throws<ValidationException>(() => CampaignStatsTests.Query(services, query, page: false));
        Assert.Contains(ex.Errors, e => e.Field == field);
    }

    [Fact]
    public void The_part_size_is_validated_at_start_up()
    {
        var services = TestServices.Create(azurite, new Dictionary<string, string?> { ["Reporting:CsvRowsPerPart"] = "0" });
        Assert.ThrowsAny<Exception>(() => services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CsvExportOptions>>().Value);
        services.Dispose();
    }

    /// <summary>Every part of an export, following the continuation; each part parsed on its own (header included).</summary>
    private static async Task<List<List<List<string>>>> ExportAsync(ServiceProvider services, string filter)
    {
        var records = services.GetRequiredService<CallRecordsService>();
        var parts = new List<List<List<string>>>();
        string? token = null;
        do
        {
            var query = CampaignStatsTests.Query(services, filter + (token is null ? "" : "&continuation=" + token), page: false);
            using var output = new MemoryStream();
            var part = await records.ExportPartAsync(query, output, default);
            var rows = Rfc4180.Parse(Encoding.UTF8.GetString(output.ToArray()));
            Assert.Equal(CallCsvWriter.Header, rows[0]);
            Assert.Equal(part.Rows, rows.Count - 1);
            Assert.InRange(part.Rows, 0, query.Limit); // the bound on memory: never more than a part's rows
            parts.Add(rows.Skip(1).ToList());
            token = part.Continuation;
            Assert.True(parts.Count < 100, "the export does not end");
        }
        while (token is not null);

        return parts;
    }
}

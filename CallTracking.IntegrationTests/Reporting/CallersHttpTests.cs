using System.Net;
using System.Text.Json;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Reporting;

/// <summary>
/// <c>GET /api/callers</c> through the local host and the real worker (keys enforced), fed by the processor's
/// <see cref="CallerList"/> stage; and the CSV export's <c>fields=</c>.
/// </summary>
[Collection(KeyedFunctionsHostCollection.Name)]
public class CallersHttpTests(KeyedFunctionsHostFixture app)
{
    private async Task<JsonElement> GetAsync(string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("x-functions-key", KeyedFunctionsHostFixture.FunctionKey);
        using var response = await app.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task One_row_per_caller_counted_once_under_redelivery_searchable_by_suffix_and_paged()
    {
        await using var services = TestServices.Create(app.Azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync();
        var calls = ReportingFixtures.MonthOfCalls(17, campaign.Id, new DateTimeOffset(2024, 10, 1, 0, 0, 0, TimeSpan.Zero), 30);
        await data.ProcessAsync(calls, applyToReports: false);
        var stage = services.GetRequiredService<CallerList>();
        foreach (var call in calls.Concat(calls)) // every message delivered twice
        {
            await stage.RunAsync(new CallProcessingContext(ProcessedCallMapper.From(call)!, null, false), CancellationToken.None);
        }

        var expected = calls.Where(c => c.CallerNumber is not null).GroupBy(c => c.CallerNumber!).ToDictionary(g => g.Key, g => g.ToList());
        var page = await GetAsync($"api/callers?campaign={campaign.Id}&limit=500");
        var rows = page.GetProperty("callers").EnumerateArray().ToList();
        Assert.Equal(expected.Count, rows.Count);
        foreach (var row in rows)
        {
            var mine = expected[row.GetProperty("number").GetString()!];
            var latest = mine.MaxBy(c => ProcessedCallMapper.From(c)!.StartedAt)!;
            Assert.Equal(mine.Count, row.GetProperty("calls").GetInt64());
            Assert.Equal(mine.Min(c => ProcessedCallMapper.From(c)!.StartedAt), row.GetProperty("firstCallAt").GetDateTimeOffset());
            Assert.Equal(ProcessedCallMapper.From(latest)!.StartedAt, row.GetProperty("lastCallAt").GetDateTimeOffset());
            Assert.Equal(ProcessedCallMapper.From(latest)!.Outcome.ToString(), row.GetProperty("lastOutcome").GetString());
            Assert.False(string.IsNullOrEmpty(row.GetProperty("country").GetString()));
        }

        var someone = expected.Keys.First();
        var found = (await GetAsync($"api/callers?campaign={campaign.Id}&q={someone[^4..]}")).GetProperty("callers").EnumerateArray().ToList();
        Assert.Contains(found, r => r.GetProperty("number").GetString() == someone);
        Assert.All(found, r => Assert.EndsWith(someone[^4..], r.GetProperty("number").GetString(), StringComparison.Ordinal));

        var paged = new List<string>();
        var url = $"api/callers?campaign={campaign.Id}&limit=3";
        while (true)
        {
            var next = await GetAsync(url);
            paged.AddRange(next.GetProperty("callers").EnumerateArray().Select(r => r.GetProperty("number").GetString()!));
            if (!next.TryGetProperty("continuation", out var token) || token.ValueKind != JsonValueKind.String)
            {
                break;
            }

            url = $"api/callers?campaign={campaign.Id}&limit=3&continuation={Uri.EscapeDataString(token.GetString()!)}";
        }

        Assert.Equal(expected.Keys.Order(), paged.Order());
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.GetAsync($"api/callers?campaign={campaign.Id}")).StatusCode);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("q=abc", "q")]
    [InlineData("continuation=abc", "continuation")]
    [InlineData("campaign=a%2Fb", "campaign")]
    public async Task Bad_parameters_are_400_problems_naming_the_field(string query, string field)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/callers?" + query);
        request.Headers.Add("x-functions-key", KeyedFunctionsHostFixture.FunctionKey);
        using var response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == field);
    }

    [Fact]
    public async Task The_csv_export_writes_only_the_fields_asked_for_in_their_order()
    {
        await using var services = TestServices.Create(app.Azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync();
        var calls = ReportingFixtures.MonthOfCalls(23, campaign.Id, new DateTimeOffset(2024, 10, 1, 0, 0, 0, TimeSpan.Zero), 5);
        await data.ProcessAsync(calls);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/calls.csv?campaign={campaign.Id}&from=2024-10-01&to=2024-10-31&tz=UTC&fields=status,id,from");
        request.Headers.Add("x-functions-key", KeyedFunctionsHostFixture.FunctionKey);
        using var response = await app.Client.SendAsync(request);
        var rows = Rfc4180.Parse(await response.Content.ReadAsStringAsync());
        using var bad = new HttpRequestMessage(HttpMethod.Get, $"api/calls.csv?campaign={campaign.Id}&fields=id,secret");
        bad.Headers.Add("x-functions-key", KeyedFunctionsHostFixture.FunctionKey);
        using var refused = await app.Client.SendAsync(bad);

        Assert.Equal(["status", "id", "from"], rows[0]);
        Assert.Equal(5, rows.Count - 1);
        Assert.All(rows.Skip(1), r => Assert.Equal(3, r.Count));
        Assert.Equal(calls.Select(c => c.PartitionKey).Order(), rows.Skip(1).Select(r => r[1]).Order());
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("\"fields\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

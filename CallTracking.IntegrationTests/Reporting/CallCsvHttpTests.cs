using System.Net;
using System.Text.Json;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.Reporting;

/// <summary>
/// <c>GET /api/calls.csv</c> through the local host and the real worker (keys enforced, parts of
/// <see cref="KeyedFunctionsHostFixture.CsvRowsPerPart"/> rows): the parts link to each other, and together hold
/// every call once; bad parameters are problems.
/// </summary>
[Collection(KeyedFunctionsHostCollection.Name)]
public class CallCsvHttpTests(KeyedFunctionsHostFixture app)
{
    [Fact]
    public async Task Parts_link_to_the_next_until_every_call_is_exported_once()
    {
        await using var services = TestServices.Create(app.Azurite);
        var data = new ReportingFixtures(services);
        var campaign = await data.CampaignAsync(name: "=1+1");
        var calls = ReportingFixtures.MonthOfCalls(91, campaign.Id, new DateTimeOffset(2024, 10, 1, 0, 0, 0, TimeSpan.Zero), 47);
        await data.ProcessAsync(calls);

        // The first part authenticates with ?code= (as a plain link would); the key is not echoed into the Link.
        var url = $"api/calls.csv?campaign={campaign.Id}&from=2024-10-01&to=2024-10-31&tz=UTC&code={KeyedFunctionsHostFixture.FunctionKey}";
        var parts = new List<List<List<string>>>();
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (parts.Count > 0)
            {
                request.Headers.Add("x-functions-key", KeyedFunctionsHostFixture.FunctionKey);
            }

            using var response = await app.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
            var rows = Rfc4180.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("id", rows[0][0]);
            parts.Add(rows.Skip(1).ToList());
            Assert.Equal((rows.Count - 1).ToString(), Assert.Single(response.Headers.GetValues("X-Row-Count")));
            Assert.True(parts.Count <= 3, "more parts than 47 calls need");
            if (!response.Headers.TryGetValues("Link", out var links))
            {
                Assert.False(response.Headers.Contains("X-Continuation-Token"));
                break;
            }

            var link = Assert.Single(links);
            Assert.EndsWith(">; rel=\"next\"", link);
            var next = link[1..link.IndexOf('>')];
            Assert.StartsWith("/api/calls.csv?", next);
            Assert.DoesNotContain("code=", next);
            Assert.Contains("continuation=" + Assert.Single(response.Headers.GetValues("X-Continuation-Token")), next);
            url = next.TrimStart('/');
        }

        Assert.Equal([20, 20, 7], parts.Select(p => p.Count));
        var rowsOut = parts.SelectMany(p => p).ToList();
        Assert.Equal(calls.Select(c => c.PartitionKey).Order(), rowsOut.Select(r => r[0]).Order());
        Assert.All(rowsOut, r => Assert.Equal("'=1+1", r[2])); // a formula-like name is defused

        // Without the key the next part is refused like any report.
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.GetAsync($"api/calls.csv?campaign={campaign.Id}")).StatusCode);
    }

    [Theory]
    [InlineData("limit=21", "limit")] // above the configured part size
    [InlineData("limit=0", "limit")]
    [InlineData("continuation=abc", "continuation")]
    [InlineData("from=2024-10-31&to=2024-10-01", "to")]
    [InlineData("tz=Mars%2FOlympus", "tz")]
    public async Task Bad_parameters_are_400_problems_naming_the_field(string query, string field)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/calls.csv?" + query);
        request.Headers.Add("x-functions-key", KeyedFunctionsHostFixture.FunctionKey);
        using var response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == field);
    }

    [Fact]
    public async Task An_unknown_campaign_is_404()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/calls.csv?campaign=" + TestServices.UniqueId("none"));
        request.Headers.Add("x-functions-key", KeyedFunctionsHostFixture.FunctionKey);
        using var response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

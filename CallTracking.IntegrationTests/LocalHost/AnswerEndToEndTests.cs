using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Vonage;
using Xunit;

namespace CallTracking.Tests.LocalHost;

/// <summary>
/// The live call path end to end: the real app in its worker process behind the local host, over HTTP only,
/// with the demo campaigns imported through the admin API (import is idempotent, so tests may each import).
/// Webhooks are signed like Vonage signs them (HS256 JWT), since the app verifies signatures.
/// </summary>
[Collection(FunctionsHostCollection.Name)]
public class AnswerEndToEndTests(FunctionsHostFixture host)
{
    private const string SpringSaleNumber = "447700900001";
    private const string SpringSaleAgent = "447700900100";
    private const string InactiveNumber = "447700900002";

    [Fact]
    public async Task Demo_campaign_import_then_answer_connects_the_caller_to_the_campaign_agent()
    {
        await ImportDemoCampaignsAsync();

        var response = await SignedAsync(HttpMethod.Get, AnswerPath(SpringSaleNumber));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var ncco = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var actions = ncco.RootElement.EnumerateArray().ToList();
        var talk = actions.First(a => a.GetProperty("action").GetString() == "talk");
        Assert.Contains("Spring Sale", talk.GetProperty("text").GetString(), StringComparison.Ordinal);
        var connect = actions.Single(a => a.GetProperty("action").GetString() == "connect");
        Assert.Equal(SpringSaleNumber, connect.GetProperty("from").GetString());
        Assert.Equal(SpringSaleAgent, connect.GetProperty("endpoint")[0].GetProperty("number").GetString());
        Assert.EndsWith("/api/event", connect.GetProperty("eventUrl")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_tutorials_campaigns_json_imports_with_an_audio_base_and_the_ncco_streams_the_joined_url()
    {
        var (bare, path) = (TestNumbers.Digits(TestNumbers.UkMobile()), TestNumbers.Digits(TestNumbers.UkMobile()));
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var file = $$"""
            {"_default": {
              "1": {"name": "Tutorial bare {{suffix}}", "inbound_number": "{{bare}}", "redirect_number": "{{SpringSaleAgent}}", "welcome_message": "calls-recorded.mp3", "is_active": true},
              "2": {"name": "Tutorial path {{suffix}}", "inbound_number": "{{path}}", "redirect_number": "{{SpringSaleAgent}}", "welcome_message": "/static/audio/calls-recorded.mp3", "is_active": true}
              }
            }
            """;

        var refused = await host.Client.PostAsync(new Uri("api/campaigns/import", UriKind.Relative), new StringContent(file, Encoding.UTF8, "application/json"));
        var imported = await host.Client.PostAsync(
            new Uri("api/campaigns/import?audioBaseUrl=" + Uri.EscapeDataString("https://cdn.example.com/audio/"), UriKind.Relative), new StringContent(file, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadAsStringAsync();
        Assert.Contains("_default.1.welcome_message", problem, StringComparison.Ordinal);
        Assert.Contains("audioBaseUrl", problem, StringComparison.Ordinal);
        Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync());
        Assert.Equal("https://cdn.example.com/audio/calls-recorded.mp3", await StreamUrlAsync(bare));
        Assert.Equal("https://cdn.example.com/static/audio/calls-recorded.mp3", await StreamUrlAsync(path));
    }

    private async Task<string?> StreamUrlAsync(string trackingDigits)
    {
        var response = await SignedAsync(HttpMethod.Get, AnswerPath(trackingDigits));
        using var ncco = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var stream = ncco.RootElement.EnumerateArray().Single(a => a.GetProperty("action").GetString() == "stream");
        return stream.GetProperty("streamUrl")[0].GetString();
    }

    [Fact]
    public async Task Answer_by_post_with_json_body_gives_the_same_ncco()
    {
        await ImportDemoCampaignsAsync();
        var body = $$"""{"to":"{{SpringSaleNumber}}","from":"447700900123","uuid":"{{Guid.NewGuid()}}","conversation_uuid":"CON-{{Guid.NewGuid()}}"}""";

        var response = await SignedAsync(HttpMethod.Post, "api/answer", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(SpringSaleAgent, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_number_gets_a_polite_ncco_not_an_error()
    {
        var response = await SignedAsync(HttpMethod.Get, AnswerPath("15005550006"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var ncco = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var talk = ncco.RootElement.EnumerateArray().First(a => a.GetProperty("action").GetString() == "talk");
        Assert.Equal("Sorry, this number is not in service. Goodbye.", talk.GetProperty("text").GetString());
        Assert.DoesNotContain(ncco.RootElement.EnumerateArray(), a => a.GetProperty("action").GetString() == "connect");
    }

    [Fact]
    public async Task Inactive_campaign_does_not_connect()
    {
        await ImportDemoCampaignsAsync();

        var response = await SignedAsync(HttpMethod.Get, AnswerPath(InactiveNumber));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var ncco = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain(ncco.RootElement.EnumerateArray(), a => a.GetProperty("action").GetString() == "connect");
    }

    [Fact]
    public async Task Fallback_url_always_answers_with_a_valid_ncco()
    {
        var response = await SignedAsync(HttpMethod.Get, $"api/fallback?to={SpringSaleNumber}&from=447700900123");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var ncco = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Array, ncco.RootElement.ValueKind);
        Assert.Contains(ncco.RootElement.EnumerateArray(), a => a.GetProperty("action").GetString() == "talk");
    }

    [Fact]
    public async Task Missing_to_is_a_400_problem_naming_the_field()
    {
        var response = await SignedAsync(HttpMethod.Get, "api/answer?from=447700900123&uuid=u1");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(problem.RootElement.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == "to");
    }

    [Fact]
    public async Task Unsigned_or_forged_answer_requests_are_rejected()
    {
        var unsigned = await host.Client.GetAsync(new Uri(AnswerPath(SpringSaleNumber), UriKind.Relative));
        using var forged = new HttpRequestMessage(HttpMethod.Get, AnswerPath(SpringSaleNumber));
        forged.Headers.Authorization = new AuthenticationHeaderValue("Bearer",
            VonageTokens.Hs256(VonageTokens.Claims([]), secret: "not-the-secret"));

        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.SendAsync(forged)).StatusCode);
    }

    private async Task<HttpResponseMessage> SignedAsync(HttpMethod method, string path, string? json = null)
    {
        var body = json is null ? [] : Encoding.UTF8.GetBytes(json);
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", VonageTokens.Hs256(VonageTokens.Claims(body)));
        if (json is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return await host.Client.SendAsync(request);
    }

    private async Task ImportDemoCampaignsAsync()
    {
        using var content = new StreamContent(File.OpenRead(RepositoryPaths.Combine("campaigns.sample.json")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await host.Client.PostAsync(new Uri("api/campaigns/import", UriKind.Relative), content);
        Assert.True(response.IsSuccessStatusCode, $"import failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static string AnswerPath(string to) =>
        $"api/answer?to={to}&from=447700900123&uuid={Guid.NewGuid()}&conversation_uuid=CON-{Guid.NewGuid()}";
}

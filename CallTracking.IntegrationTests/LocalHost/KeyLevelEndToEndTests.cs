using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.LocalHost;

/// <summary>The app through the local host with keys enforced as in Azure, both keys known to the tests.</summary>
public sealed class KeyLevelFunctionsHostFixture : FunctionsHostFixture
{
    public const string FunctionKey = "key-levels-function-key";
    public const string MasterKey = "key-levels-master-key";

    protected override bool RequireKeys => true;

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["LocalHost__FunctionKey"] = FunctionKey;
        settings["LocalHost__MasterKey"] = MasterKey;
    }
}

[CollectionDefinition(Name)]
public sealed class KeyLevelFunctionsHostCollection : ICollectionFixture<KeyLevelFunctionsHostFixture>
{
    public const string Name = "KeyLevelFunctionsHost";
}

/// <summary>
/// Issue 13, item 5: what changes routing or re-sends data (campaign writes, replay, rebuild) needs the master key;
/// reports and campaign reads take the function key, so the key a marketer pastes into the dashboard cannot
/// re-route calls. Through the local host with keys enforced, against the real worker.
/// </summary>
[Collection(KeyLevelFunctionsHostCollection.Name)]
public class KeyLevelEndToEndTests(KeyLevelFunctionsHostFixture host)
{
    private const string Function = KeyLevelFunctionsHostFixture.FunctionKey;
    private const string Master = KeyLevelFunctionsHostFixture.MasterKey;

    [Fact]
    public async Task Campaign_writes_with_the_function_key_are_401_and_change_nothing_with_the_master_key_they_succeed()
    {
        var id = TestServices.UniqueId("keys");
        var path = $"api/campaigns/{id}";

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Put, path, Function, CampaignJson())).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Put, path, key: null, CampaignJson())).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, path, Function)).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Put, path, Master, CampaignJson())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, path, Function)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Delete, path, Function)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, path, Function)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, path, Master)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, path, Function)).StatusCode);
    }

    [Fact]
    public async Task An_import_with_the_function_key_is_401_and_imports_nothing_with_the_master_key_it_imports()
    {
        var id = TestServices.UniqueId("keys");
        var body = $"[{CampaignJson(id)}]";

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Post, "api/campaigns/import", Function, body)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"api/campaigns/{id}", Function)).StatusCode);

        // The master key as ?code= works as well as the header.
        var imported = await SendAsync(HttpMethod.Post, $"api/campaigns/import?code={Master}", key: null, body);
        Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, $"api/campaigns/{id}", Function)).StatusCode);
    }

    [Theory]
    [InlineData("api/ops/replay")]
    [InlineData("api/reports/rebuild?from=2024-01-01&to=2024-01-02&tz=UTC")]
    public async Task Replay_and_rebuild_need_the_master_key(string path)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Post, path, Function)).StatusCode);

        var response = await SendAsync(HttpMethod.Post, path, Master);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Object, result.RootElement.ValueKind);
    }

    [Theory]
    [InlineData("api/campaigns")]
    [InlineData("api/stats?from=2024-01-01&to=2024-01-31&tz=UTC")]
    [InlineData("api/calls?from=2024-01-01&to=2024-01-31&tz=UTC")]
    [InlineData("api/calls.csv?from=2024-01-01&to=2024-01-31&tz=UTC")]
    public async Task Reads_take_the_function_key(string path)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, path, key: null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, path, Function)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, path, Master)).StatusCode);
    }

    [Fact]
    public async Task A_campaigns_stats_take_the_function_key()
    {
        var id = TestServices.UniqueId("keys");
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Put, $"api/campaigns/{id}", Master, CampaignJson())).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, $"api/campaigns/{id}/stats?from=2024-01-01&to=2024-01-31", Function)).StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add("x-functions-key", key);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return await host.Client.SendAsync(request);
    }

    private static string CampaignJson(string? id = null)
    {
        var campaign = new Dictionary<string, string>
        {
            ["name"] = "Key levels",
            ["trackingNumber"] = TestNumbers.London(),
            ["agentNumber"] = TestNumbers.UkMobile(),
        };
        if (id is not null)
        {
            campaign["id"] = id;
        }

        return JsonSerializer.Serialize(campaign);
    }
}

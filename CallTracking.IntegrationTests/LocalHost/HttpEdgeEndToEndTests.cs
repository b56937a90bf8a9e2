using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using CallTracking.Functions.Common;
using CallTracking.Functions.Http;
using CallTracking.Tests.Calls;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Vonage;
using Xunit;

namespace CallTracking.Tests.LocalHost;

/// <summary>
/// The HTTP edge (HttpProblemMiddleware, RequestBody) through the local host and the real worker: how failures become
/// problem bodies, and that bodies are capped per function before anything is stored.
/// </summary>
[Collection(FunctionsHostCollection.Name)]
public class HttpEdgeEndToEndTests(FunctionsHostFixture host)
{
    public static readonly TheoryData<string, string, int> SignedWebhooks = new()
    {
        { "POST", "api/event", RequestBodyLimits.VonageWebhook },
        { "POST", "api/recording", RequestBodyLimits.VonageWebhook },
        { "POST", "api/answer", RequestBodyLimits.VonageWebhook },
        { "POST", "api/fallback", RequestBodyLimits.VonageWebhook },
        { "POST", "api/whisper", RequestBodyLimits.VonageWebhook },
    };

    [Theory]
    [MemberData(nameof(SignedWebhooks))]
    public async Task A_signed_webhook_body_over_its_limit_is_a_413_problem_and_stores_nothing(string method, string path, int limit)
    {
        var conversation = "CON-" + Guid.NewGuid();
        var body = EventBody(conversation, limit + 1);

        var response = await SendAsync(new HttpMethod(method), path, body, signed: true);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "$");
        Assert.Empty(await StoredCallRows.EventsAsync(host.Tables, conversation));
        Assert.Empty(await RowsAsync(StorageNames.CallsTable, conversation));
    }

    [Fact]
    public async Task A_signed_event_at_its_limit_is_recorded()
    {
        var conversation = "CON-" + Guid.NewGuid();
        var body = EventBody(conversation, RequestBodyLimits.VonageWebhook);

        var response = await SendAsync(HttpMethod.Post, "api/event", body, signed: true);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Single(await StoredCallRows.EventsAsync(host.Tables, conversation));
    }

    [Fact]
    public async Task A_campaign_at_its_limit_is_saved_and_one_byte_more_is_a_413_problem()
    {
        var atLimit = TestServices.UniqueId("edge");
        var overLimit = TestServices.UniqueId("edge");

        var saved = await SendAsync(HttpMethod.Put, $"api/campaigns/{atLimit}", CampaignBody(RequestBodyLimits.Campaign));
        var refused = await SendAsync(HttpMethod.Put, $"api/campaigns/{overLimit}", CampaignBody(RequestBodyLimits.Campaign + 1));

        Assert.Equal(HttpStatusCode.Created, saved.StatusCode);
        await AssertProblemAsync(refused, HttpStatusCode.RequestEntityTooLarge, "$");
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync(new Uri($"api/campaigns/{overLimit}", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task An_import_over_its_limit_is_a_413_problem()
    {
        var response = await SendAsync(HttpMethod.Post, "api/campaigns/import", Padded("[]", RequestBodyLimits.CampaignImport + 1));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "$");
    }

    [Fact]
    public async Task A_malformed_answer_body_is_a_400_naming_the_body_and_its_token_stays_spent()
    {
        var body = Encoding.UTF8.GetBytes("{\"to\":");
        var token = VonageTokens.Hs256(VonageTokens.Claims(body));

        var first = await SendAsync(HttpMethod.Post, "api/answer", body, token);
        var replayed = await SendAsync(HttpMethod.Post, "api/answer", body, token);

        await AssertProblemAsync(first, HttpStatusCode.BadRequest, "$");
        // A request at fault keeps its one-time token spent: only our own failures release it for Vonage's retry.
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
    }

    [Fact]
    public async Task An_event_without_an_id_is_a_400_naming_the_field()
    {
        var body = Encoding.UTF8.GetBytes("""{"uuid":"u-1","status":"started","direction":"inbound"}""");

        var response = await SendAsync(HttpMethod.Post, "api/event", body, signed: true);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "conversation_uuid");
    }

    [Fact]
    public async Task A_tracking_number_taken_by_another_campaign_is_a_409_naming_the_field()
    {
        var number = TestNumbers.London();
        var first = await SendAsync(HttpMethod.Put, $"api/campaigns/{TestServices.UniqueId("edge")}", CampaignBody(0, number));

        var second = await SendAsync(HttpMethod.Put, $"api/campaigns/{TestServices.UniqueId("edge")}", CampaignBody(0, number));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        await AssertProblemAsync(second, HttpStatusCode.Conflict, "trackingNumber");
    }

    [Fact]
    public async Task Unknown_campaigns_calls_and_assets_are_404_problems()
    {
        var id = TestServices.UniqueId("none");

        foreach (var (method, path) in new[]
                 {
                     (HttpMethod.Get, $"api/campaigns/{id}"), (HttpMethod.Delete, $"api/campaigns/{id}"),
                     (HttpMethod.Get, $"api/calls/{id}/deliveries"), (HttpMethod.Get, "api/dashboard/assets/none.js"),
                 })
        {
            var response = await host.Client.SendAsync(new HttpRequestMessage(method, path));
            await AssertProblemAsync(response, HttpStatusCode.NotFound, field: null);
        }

        await AssertProblemAsync(await host.Client.GetAsync(new Uri($"api/campaigns/{id}/stats", UriKind.Relative)), HttpStatusCode.NotFound, "campaign");
    }

    [Fact]
    public async Task A_corrupt_stored_campaign_is_our_failure_not_bad_input()
    {
        // JSON that fails to parse here comes from storage, not from the request: a 500, never a 400 blaming the client.
        var id = TestServices.UniqueId("corrupt");
        var table = host.Tables.GetTableClient(StorageNames.CampaignsTable);
        await table.CreateIfNotExistsAsync();
        await table.UpsertEntityAsync(new TableEntity("campaign", "id|" + id) { ["CampaignId"] = id, ["Data"] = "{not json" });
        try
        {
            var response = await host.Client.GetAsync(new Uri($"api/campaigns/{id}", UriKind.Relative));

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        }
        finally
        {
            // Other tests of this collection list every campaign.
            await table.DeleteEntityAsync("campaign", "id|" + id);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, byte[] body, bool signed = false) =>
        await SendAsync(method, path, body, signed ? VonageTokens.Hs256(VonageTokens.Claims(body)) : null);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, byte[] body, string? token)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await host.Client.SendAsync(request);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal(HttpResponses.ProblemContentType, response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        if (field is not null)
        {
            Assert.Contains(problem.RootElement.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == field);
        }
    }

    private async Task<List<TableEntity>> RowsAsync(string tableName, string partition)
    {
        var rows = new List<TableEntity>();
        var table = host.Tables.GetTableClient(tableName);
        await table.CreateIfNotExistsAsync();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == partition))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>A valid caller-leg event of exactly <paramref name="length"/> bytes (an unknown field carries the padding).</summary>
    private static byte[] EventBody(string conversation, int length)
    {
        var fields = $$"""
            {"to":"442079460999","from":"447700900123","uuid":"{{Guid.NewGuid()}}","conversation_uuid":"{{conversation}}","status":"started","direction":"inbound","timestamp":"{{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}}","padding":"
            """;
        return Padded(fields, length, close: "\"}");
    }

    /// <summary>A valid campaign of exactly <paramref name="length"/> bytes (trailing whitespace), or unpadded for 0.</summary>
    private static byte[] CampaignBody(int length, string? trackingNumber = null)
    {
        var json = JsonSerializer.Serialize(new
        {
            name = "Edge test",
            trackingNumber = trackingNumber ?? TestNumbers.London(),
            agentNumber = TestNumbers.UkMobile(),
        });
        return length == 0 ? Encoding.UTF8.GetBytes(json) : Padded(json, length);
    }

    private static byte[] Padded(string json, int length, string close = "")
    {
        var fill = length - Encoding.UTF8.GetByteCount(json) - close.Length;
        Assert.True(fill >= 0, "the padded body would be shorter than its content");
        return Encoding.UTF8.GetBytes(json + new string(close.Length > 0 ? 'x' : ' ', fill) + close);
    }
}

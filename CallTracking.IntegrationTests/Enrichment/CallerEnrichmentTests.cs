using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CallTracking.Functions.Enrichment;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Xunit;

namespace CallTracking.Tests.Enrichment;

[Collection(AzuriteCollection.Name)]
public class CallerEnrichmentTests(AzuriteFixture azurite)
{
    private const string NumberInsightSuccess = """
        {"status":0,"status_message":"Success","request_id":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
         "international_format_number":"447700900000","national_format_number":"07700 900000",
         "country_code":"GB","country_code_iso3":"GBR","country_name":"United Kingdom","country_prefix":"44",
         "request_price":"0.04000000","remaining_balance":"1.23456789",
         "current_carrier":{"network_code":"23410","name":"Telefonica UK Limited","country":"GB","network_type":"mobile"},
         "original_carrier":{"network_code":"23420","name":"Hutchison 3G Ltd","country":"GB","network_type":"mobile"},
         "valid_number":"valid","reachable":"reachable","ported":"ported","roaming":"unknown",
         "lookup_outcome":0,"lookup_outcome_message":"Success"}
        """;

    private const string IdentityInsightsSuccess = """
        {"request_id":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
         "insights":{
           "format":{"country_code":"GB","country_name":"United Kingdom","country_prefix":"44","offline_location":"London",
                     "time_zones":["Europe/London"],"number_international":"+442079460000","number_national":"020 7946 0000",
                     "is_format_valid":true,"status":{"code":"OK","message":"Success"}},
           "original_carrier":{"name":"BT","network_type":"LANDLINE","country_code":"GB","network_code":"23400",
                               "status":{"code":"ok","message":"Success"}},
           "current_carrier":{"status":{"code":"UNSUPPORTED_NETWORK_TYPE","message":"Not a mobile number"}}}}
        """;

    private static string RandomUkMobile() => "+4474" + Random.Shared.Next(10000000, 99999999);

    private static Dictionary<string, string?> NumberInsightSettings(string baseUrl) => new()
    {
        ["Enrichment:Provider"] = "NumberInsightAdvanced",
        ["Vonage:ApiKey"] = "key123",
        ["Vonage:ApiSecret"] = "secret456",
        ["Vonage:ApiBaseUrl"] = baseUrl,
        // Keep the real retry pipeline, with test-sized delays.
        ["Enrichment:Http:Retry:Delay"] = "00:00:00.010",
        ["Enrichment:Http:Retry:MaxRetryAttempts"] = "2",
    };

    private static Dictionary<string, string?> IdentityInsightsSettings(string baseUrl, string privateKeyPem) => new()
    {
        ["Enrichment:Provider"] = "IdentityInsights",
        ["Vonage:ApplicationId"] = "app-0001",
        ["Vonage:PrivateKey"] = privateKeyPem,
        ["Vonage:IdentityInsightsBaseUrl"] = baseUrl,
        ["Enrichment:Http:Retry:Delay"] = "00:00:00.010",
        ["Enrichment:Http:Retry:MaxRetryAttempts"] = "2",
    };

    [Fact]
    public async Task Number_insight_success_maps_the_fields_and_sends_credentials_in_a_header()
    {
        await using var stub = (await HttpStubServer.StartAsync()).OnAny(StubResponse.Json(200, NumberInsightSuccess));
        await using var services = TestServices.Create(azurite, NumberInsightSettings(stub.BaseUrl));
        var caller = RandomUkMobile();

        var info = await services.GetRequiredService<ICallerEnrichment>().EnrichAsync(caller, CancellationToken.None);

        Assert.Equal(new CallerInfo("GB", null, "Telefonica UK Limited", LineTypes.Mobile, "NumberInsightAdvanced", 0.04m, false, null), info);
        var request = Assert.Single(stub.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/ni/advanced/json", request.Path);
        Assert.Equal(caller[1..], request.QueryValues()["number"]);
        Assert.False(request.QueryValues().ContainsKey("api_key"));
        Assert.False(request.QueryValues().ContainsKey("api_secret"));
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("key123:secret456")), request.Header("Authorization"));

        var cached = (await services.GetRequiredService<CallerStore>().GetAsync(caller, CancellationToken.None))?.Enrichment;
        Assert.NotNull(cached);
        Assert.Equal(("NumberInsightAdvanced", "Telefonica UK Limited", 0.04m), (cached.Provider, cached.Carrier, cached.Cost));
    }

    [Theory]
    [InlineData("landline", "mobile", LineTypes.Landline)]
    [InlineData("landline_tollfree", null, LineTypes.TollFree)]
    [InlineData("landline_premium", null, LineTypes.Premium)]
    [InlineData("virtual", null, LineTypes.Voip)]
    [InlineData("unknown", "mobile", LineTypes.Mobile)]
    [InlineData("pager", null, LineTypes.Unknown)]
    public async Task Number_insight_network_types_map_to_line_types(string current, string? original, string expected)
    {
        var body = $$"""
            {"status":0,"country_code":"GB","request_price":0.04,"roaming":{"status":"not_roaming"},
             "current_carrier":{"name":"A","network_type":"{{current}}"},
             "original_carrier":{{(original is null ? "null" : $$"""{"name":"B","network_type":"{{original}}"}""")}}}
            """;
        await using var stub = (await HttpStubServer.StartAsync()).OnAny(StubResponse.Json(200, body));
        await using var services = TestServices.Create(azurite, NumberInsightSettings(stub.BaseUrl));

        var info = await services.GetRequiredService<ICallerEnrichment>().EnrichAsync(RandomUkMobile(), CancellationToken.None);

        Assert.Null(info.FallbackReason);
        Assert.Equal(expected, info.LineType);
        Assert.Equal(0.04m, info.Cost); // a numeric price is read as well as the documented string
    }

    [Fact]
    public async Task A_repeat_caller_within_the_cache_window_costs_no_second_lookup_and_after_it_does()
    {
        await using var stub = (await HttpStubServer.StartAsync()).OnAny(StubResponse.Json(200, NumberInsightSuccess));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = NumberInsightSettings(stub.BaseUrl);
        settings["Enrichment:CacheDays"] = "30";
        await using var services = TestServices.Create(azurite, settings, s => s.AddSingleton<TimeProvider>(clock));
        var enrichment = services.GetRequiredService<ICallerEnrichment>();
        var caller = RandomUkMobile();

        var first = await enrichment.EnrichAsync(caller, CancellationToken.None);
        clock.Advance(TimeSpan.FromDays(29));
        var repeat = await enrichment.EnrichAsync(caller, CancellationToken.None);

        Assert.False(first.FromCache);
        Assert.Equal(0.04m, first.Cost);
        Assert.Equal(first with { Cost = 0m, FromCache = true }, repeat);
        Assert.Single(stub.Requests);

        clock.Advance(TimeSpan.FromDays(2));
        var expired = await enrichment.EnrichAsync(caller, CancellationToken.None);

        Assert.False(expired.FromCache);
        Assert.Equal(0.04m, expired.Cost);
        Assert.Equal(2, stub.Requests.Count);
    }

    [Fact]
    public async Task Number_insight_returning_500_falls_back_to_offline_after_retries_and_is_not_cached()
    {
        await using var stub = (await HttpStubServer.StartAsync()).OnAny(new StubResponse(500));
        await using var services = TestServices.Create(azurite, NumberInsightSettings(stub.BaseUrl));
        var enrichment = services.GetRequiredService<ICallerEnrichment>();
        var caller = "+447400123456";

        var info = await enrichment.EnrichAsync(caller, CancellationToken.None);

        Assert.Equal("Offline", info.Provider);
        Assert.Equal(("GB", "Three", LineTypes.Mobile, 0m), (info.Country, info.Carrier, info.LineType, info.Cost));
        Assert.Equal("NumberInsightAdvanced: HTTP 500", info.FallbackReason);
        Assert.Equal(3, stub.Requests.Count); // one attempt and two retries

        await enrichment.EnrichAsync(caller, CancellationToken.None);
        Assert.Equal(6, stub.Requests.Count); // a fallback is not cached: the next call tries the provider again
    }

    [Fact]
    public async Task Number_insight_recovering_within_the_retries_is_used()
    {
        await using var stub = await HttpStubServer.StartAsync();
        stub.OnAny(new StubResponse(503), StubResponse.Json(200, NumberInsightSuccess));
        await using var services = TestServices.Create(azurite, NumberInsightSettings(stub.BaseUrl));

        var info = await services.GetRequiredService<ICallerEnrichment>().EnrichAsync(RandomUkMobile(), CancellationToken.None);

        Assert.Equal(("NumberInsightAdvanced", null as string), (info.Provider, info.FallbackReason));
        Assert.Equal(2, stub.Requests.Count);
    }

    [Fact]
    public async Task Number_insight_unreachable_falls_back_to_offline_without_throwing()
    {
        var nobodyListening = $"http://127.0.0.1:{FreePorts.Next()}";
        await using var services = TestServices.Create(azurite, NumberInsightSettings(nobodyListening));

        var info = await services.GetRequiredService<ICallerEnrichment>().EnrichAsync("+442079460000", CancellationToken.None);

        Assert.Equal(("Offline", "GB", "London", LineTypes.Landline), (info.Provider, info.Country, info.Region, info.LineType));
        Assert.StartsWith("NumberInsightAdvanced: unreachable", info.FallbackReason);
    }

    [Theory]
    [InlineData("""{"status":1,"status_message":"Busy"}""", "NumberInsightAdvanced: throttled (status 1)")]
    [InlineData("""{"status":4,"status_message":"Invalid credentials"}""", "NumberInsightAdvanced: status 4: Invalid credentials")]
    [InlineData("""{"status":"9","error_text":"Partner quota exceeded"}""", "NumberInsightAdvanced: status 9: Partner quota exceeded")]
    [InlineData("""<html>gateway</html>""", "NumberInsightAdvanced: unreadable response body")]
    public async Task Number_insight_non_success_statuses_fall_back_and_are_retried_on_the_next_call(string body, string reason)
    {
        await using var stub = (await HttpStubServer.StartAsync()).OnAny(StubResponse.Json(200, body));
        await using var services = TestServices.Create(azurite, NumberInsightSettings(stub.BaseUrl));
        var enrichment = services.GetRequiredService<ICallerEnrichment>();
        var caller = RandomUkMobile();

        var info = await enrichment.EnrichAsync(caller, CancellationToken.None);
        await enrichment.EnrichAsync(caller, CancellationToken.None);

        Assert.Equal(("Offline", "GB", reason), (info.Provider, info.Country, info.FallbackReason));
        Assert.Equal(2, stub.Requests.Count);
    }

    [Fact]
    public async Task A_withheld_caller_is_not_looked_up()
    {
        await using var stub = (await HttpStubServer.StartAsync()).OnAny(StubResponse.Json(200, NumberInsightSuccess));
        await using var services = TestServices.Create(azurite, NumberInsightSettings(stub.BaseUrl));

        var enrichment = services.GetRequiredService<ICallerEnrichment>();

        var info = await enrichment.EnrichAsync(null, CancellationToken.None);
        var notANumber = await enrichment.EnrichAsync("anonymous", CancellationToken.None);

        Assert.Equal(new CallerInfo(null, null, null, LineTypes.Unknown, "none", 0m, false, null), info);
        Assert.Equal(("Offline", LineTypes.Unknown, "not an E.164 number; not looked up"), (notANumber.Provider, notANumber.LineType, notANumber.FallbackReason));
        Assert.Empty(stub.Requests);
    }

    [Fact]
    public async Task Identity_insights_success_maps_the_fields_and_signs_an_application_jwt()
    {
        using var key = RSA.Create(2048);
        await using var stub = (await HttpStubServer.StartAsync()).OnAny(StubResponse.Json(200, IdentityInsightsSuccess));
        // App settings often carry the PEM's line breaks as "\n".
        var pem = key.ExportPkcs8PrivateKeyPem().Replace("\n", "\\n", StringComparison.Ordinal);
        await using var services = TestServices.Create(azurite, IdentityInsightsSettings(stub.BaseUrl, pem));
        var caller = "+4420794" + Random.Shared.Next(10000, 99999);

        var info = await services.GetRequiredService<ICallerEnrichment>().EnrichAsync(caller, CancellationToken.None);

        Assert.Equal(new CallerInfo("GB", "London", "BT", LineTypes.Landline, "IdentityInsights", 0m, false, null), info);
        var request = Assert.Single(stub.Requests);
        Assert.Equal(("POST", "/identity-insights/v1/requests"), (request.Method, request.Path));
        Assert.StartsWith("application/json", request.Header("Content-Type"));
        using (var body = JsonDocument.Parse(request.Body))
        {
            Assert.Equal(caller, body.RootElement.GetProperty("phone_number").GetString());
            var insights = body.RootElement.GetProperty("insights");
            Assert.Equal(["format", "original_carrier", "current_carrier"], insights.EnumerateObject().Select(p => p.Name));
            Assert.All(insights.EnumerateObject(), p => Assert.Empty(p.Value.EnumerateObject()));
        }

        var authorization = request.Header("Authorization");
        Assert.NotNull(authorization);
        Assert.StartsWith("Bearer ", authorization);
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(authorization["Bearer ".Length..], new TokenValidationParameters
        {
            IssuerSigningKey = new RsaSecurityKey(key.ExportParameters(includePrivateParameters: false)),
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidateIssuer = false,
            ValidateAudience = false,
            RequireExpirationTime = true,
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
        var token = (JsonWebToken)validation.SecurityToken;
        Assert.Equal("RS256", token.Alg);
        Assert.Equal("app-0001", token.GetClaim("application_id").Value);
        Assert.False(string.IsNullOrEmpty(token.Id));
        Assert.True(token.TryGetPayloadValue<long>("iat", out var issuedAt));
        Assert.True(token.TryGetPayloadValue<long>("exp", out var expires));
        Assert.InRange(expires - issuedAt, 30, 24 * 3600); // Vonage accepts 30 s to 24 h
    }

    [Fact]
    public async Task Identity_insights_prefers_the_current_carrier_of_a_ported_mobile()
    {
        using var key = RSA.Create(2048);
        await using var stub = (await HttpStubServer.StartAsync()).OnAny(StubResponse.Json(200, """
            {"insights":{"format":{"country_code":"ES","status":{"code":"OK"}},
              "original_carrier":{"name":"Orange","network_type":"MOBILE","status":{"code":"OK"}},
              "current_carrier":{"name":"Vodafone","network_type":"MOBILE","country_code":"ES","status":{"code":"Ok"}},
              "future_insight":{"status":{"code":"OK"}}}}
            """));
        var settings = IdentityInsightsSettings(stub.BaseUrl, key.ExportPkcs8PrivateKeyPem());
        settings["Enrichment:IdentityInsightsLookupCost"] = "0.005";
        await using var services = TestServices.Create(azurite, settings);

        var info = await services.GetRequiredService<ICallerEnrichment>().EnrichAsync("+3461" + Random.Shared.Next(1000000, 9999999), CancellationToken.None);

        Assert.Equal(("ES", "Vodafone", LineTypes.Mobile, 0.005m), (info.Country, info.Carrier, info.LineType, info.Cost));
    }

    [Fact]
    public async Task Identity_insights_errors_fall_back_with_the_problem_title()
    {
        using var key = RSA.Create(2048);
        await using var stub = (await HttpStubServer.StartAsync()).OnAny(new StubResponse(401,
            """{"type":"https://developer.vonage.com/api-errors#unauthorized","title":"Unauthorized","detail":"You did not provide correct credentials","instance_id":"x"}""",
            "application/problem+json"));
        await using var services = TestServices.Create(azurite, IdentityInsightsSettings(stub.BaseUrl, key.ExportPkcs8PrivateKeyPem()));
        var enrichment = services.GetRequiredService<ICallerEnrichment>();

        var unauthorized = await enrichment.EnrichAsync("+447400123456", CancellationToken.None);

        stub.OnAny(StubResponse.Json(200, """
            {"insights":{"format":{"status":{"code":"INVALID_NUMBER_FORMAT","message":"bad"}},
              "original_carrier":{"status":{"code":"NOT_FOUND"}},"current_carrier":{"status":{"code":"NOT_FOUND"}}}}
            """));
        var noInsight = await enrichment.EnrichAsync("+447400123456", CancellationToken.None);

        Assert.Equal(("Offline", "Three"), (unauthorized.Provider, unauthorized.Carrier));
        Assert.Equal("IdentityInsights: HTTP 401: Unauthorized (You did not provide correct credentials)", unauthorized.FallbackReason);
        Assert.Equal("Offline", noInsight.Provider);
        Assert.Equal("IdentityInsights: no insight succeeded (format: INVALID_NUMBER_FORMAT, original_carrier: NOT_FOUND)", noInsight.FallbackReason);
    }

    [Theory]
    [InlineData("NumberInsightAdvanced", "Vonage:ApiKey")]
    [InlineData("IdentityInsights", "Vonage:ApplicationId")]
    [InlineData("IdentityInsights", "Vonage:PrivateKey")]
    public async Task A_provider_without_its_settings_is_not_tried_callers_are_enriched_offline_and_health_names_what_is_missing(
        string provider, string missing)
    {
        await using var stub = (await HttpStubServer.StartAsync()).OnAny(StubResponse.Json(200, NumberInsightSuccess));
        await using var services = TestServices.Create(azurite, new Dictionary<string, string?>
        {
            ["Enrichment:Provider"] = provider,
            ["Vonage:ApiKey"] = missing == "Vonage:ApiKey" ? "" : "key",
            ["Vonage:ApiSecret"] = "secret",
            ["Vonage:ApplicationId"] = missing == "Vonage:ApplicationId" ? "" : "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
            ["Vonage:PrivateKey"] = missing == "Vonage:PrivateKey" ? "not a key" : PrivateKeyPem(),
            ["Vonage:ApiBaseUrl"] = stub.BaseUrl,
            ["Vonage:IdentityInsightsBaseUrl"] = stub.BaseUrl,
        });

        var info = await services.GetRequiredService<ICallerEnrichment>().EnrichAsync("+447400123456", CancellationToken.None);

        Assert.Equal(("Offline", "Three"), (info.Provider, info.Carrier));
        Assert.Equal($"{provider}: not configured ({missing})", info.FallbackReason);
        Assert.Empty(stub.Requests);
        var problem = Assert.Single(services.GetRequiredService<CallTracking.Functions.Common.SettingsHealth>().Problems);
        Assert.Equal(missing, problem.Setting);
        Assert.DoesNotContain("not a key", problem.Effect, StringComparison.Ordinal);
    }

    private static string PrivateKeyPem()
    {
        using var key = RSA.Create(2048);
        return key.ExportPkcs8PrivateKeyPem();
    }

    [Fact]
    public async Task The_offline_provider_needs_no_vonage_settings_and_no_storage()
    {
        await using var services = TestServices.Create(azurite, new Dictionary<string, string?> { ["Enrichment:Provider"] = "Offline" });

        var info = await services.GetRequiredService<ICallerEnrichment>().EnrichAsync("+16502530000", CancellationToken.None);

        Assert.Equal(new CallerInfo("US", "Mountain View, CA", null, LineTypes.Unknown, "Offline", 0m, false, null), info);
        Assert.Null(await services.GetRequiredService<CallerStore>().GetAsync("+16502530000", CancellationToken.None));
    }
}

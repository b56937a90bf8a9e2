using CallTracking.Functions.Calls;
using CallTracking.Functions.Enrichment;
using CallTracking.Functions.Processing;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Processing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Enrichment;

/// <summary>
/// Two calls of one caller processed at once make one provider lookup: within an instance (the queue trigger runs
/// messages concurrently) and across instances (a claim on the caller's profile row).
/// </summary>
[Collection(AzuriteCollection.Name)]
public class CallerLookupCoalescingTests(AzuriteFixture azurite)
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

    private static Dictionary<string, string?> Settings(string baseUrl) => new()
    {
        ["Enrichment:Provider"] = "NumberInsightAdvanced",
        ["Vonage:ApiKey"] = "key123",
        ["Vonage:ApiSecret"] = "secret456",
        ["Vonage:ApiBaseUrl"] = baseUrl,
        ["Enrichment:Http:Retry:Delay"] = "00:00:00.010",
    };

    private static async Task<HttpStubServer> SlowProviderAsync() =>
        (await HttpStubServer.StartAsync()).OnAny(new StubResponse(200, NumberInsightSuccess, Delay: TimeSpan.FromSeconds(1)));

    [Fact]
    public async Task Two_calls_of_one_caller_processed_at_once_in_one_instance_make_one_lookup()
    {
        await using var provider = await SlowProviderAsync();
        await using var services = TestServices.Create(azurite, Settings(provider.BaseUrl));
        var caller = "+4477" + Random.Shared.Next(10000000, 99999999);
        var calls = await AddCallsAsync(services, caller, 2);

        await Task.WhenAll(calls.Select(id => services.GetRequiredService<CallProcessor>().ProcessAsync(id)));

        Assert.Single(provider.Requests);
        await AssertBothEnrichedOnceAsync(services, calls);
    }

    [Fact]
    public async Task Two_calls_of_one_caller_processed_at_once_on_two_instances_make_one_lookup()
    {
        await using var provider = await SlowProviderAsync();
        await using var first = TestServices.Create(azurite, Settings(provider.BaseUrl));
        await using var second = TestServices.Create(azurite, Settings(provider.BaseUrl));
        var caller = "+4477" + Random.Shared.Next(10000000, 99999999);
        var calls = await AddCallsAsync(first, caller, 2);

        await Task.WhenAll(
            first.GetRequiredService<CallProcessor>().ProcessAsync(calls[0]),
            second.GetRequiredService<CallProcessor>().ProcessAsync(calls[1]));

        Assert.Single(provider.Requests);
        await AssertBothEnrichedOnceAsync(first, calls);
    }

    [Fact]
    public async Task A_failed_lookup_releases_the_claim_so_the_next_call_tries_the_provider_at_once()
    {
        await using var provider = (await HttpStubServer.StartAsync()).OnAny(StubResponse.Json(401, "{\"error_title\":\"Unauthorized\"}"));
        await using var services = TestServices.Create(azurite, Settings(provider.BaseUrl));
        var enrichment = services.GetRequiredService<ICallerEnrichment>();
        var caller = "+4477" + Random.Shared.Next(10000000, 99999999);

        var failed = await enrichment.EnrichAsync(caller, CancellationToken.None);
        Assert.NotNull(failed.FallbackReason);
        provider.OnAny(StubResponse.Json(200, NumberInsightSuccess));
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(20)); // a held claim would wait 60 s
        var info = await enrichment.EnrichAsync(caller, quick.Token);

        Assert.Equal("NumberInsightAdvanced", info.Provider);
        Assert.Null(info.FallbackReason);
        Assert.Equal(2, provider.Requests.Count);
    }

    private static async Task<List<string>> AddCallsAsync(IServiceProvider services, string caller, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var call = ForwardingHarness.AnsweredCall(null, caller);
            call.InboundStartTime = ForwardingHarness.StartOfCall.AddMinutes(i);
            Assert.True(await services.GetRequiredService<CallStore>().TryAddAsync(call));
            ids.Add(call.PartitionKey);
        }

        return ids;
    }

    private static async Task AssertBothEnrichedOnceAsync(IServiceProvider services, IReadOnlyList<string> calls)
    {
        var stored = new List<CallRecord>();
        foreach (var id in calls)
        {
            stored.Add((await services.GetRequiredService<CallStore>().GetAsync(id))!);
        }

        Assert.All(stored, c => Assert.Equal("Telefonica UK Limited", c.CallerCarrier));
        Assert.All(stored, c => Assert.Equal("NumberInsightAdvanced", c.EnrichmentProvider));
        // The lookup is paid for once: one call carries its cost, the other none.
        Assert.Equal(0.04, stored.Sum(c => c.EnrichmentCost ?? 0), 6);
    }
}

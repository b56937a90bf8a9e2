using CallTracking.Functions.Enrichment;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Enrichment;

[Collection(AzuriteCollection.Name)]
public class CallerProfilesTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static string RandomCaller() => "+4420" + Random.Shared.Next(10000000, 99999999);

    [Fact]
    public async Task The_first_call_is_first_and_the_next_is_not()
    {
        await using var services = TestServices.Create(azurite);
        var profiles = services.GetRequiredService<ICallerProfiles>();
        var caller = RandomCaller();

        Assert.True(await profiles.RecordCallAsync(caller, TestServices.UniqueId("call"), Noon, CancellationToken.None));
        Assert.False(await profiles.RecordCallAsync(caller, TestServices.UniqueId("call"), Noon.AddHours(1), CancellationToken.None));

        var profile = await services.GetRequiredService<CallerStore>().GetAsync(caller, CancellationToken.None);
        Assert.NotNull(profile);
        Assert.Equal((2, Noon, Noon.AddHours(1)), (profile.CallCount, profile.FirstSeenAt, profile.LastSeenAt));
    }

    [Fact]
    public async Task The_same_call_recorded_twice_gives_the_same_answer_and_counts_once()
    {
        await using var services = TestServices.Create(azurite);
        var profiles = services.GetRequiredService<ICallerProfiles>();
        var caller = RandomCaller();
        var first = TestServices.UniqueId("call");
        var second = TestServices.UniqueId("call");

        Assert.True(await profiles.RecordCallAsync(caller, first, Noon, CancellationToken.None));
        Assert.False(await profiles.RecordCallAsync(caller, second, Noon.AddMinutes(5), CancellationToken.None));
        Assert.True(await profiles.RecordCallAsync(caller, first, Noon, CancellationToken.None));
        Assert.False(await profiles.RecordCallAsync(caller, second, Noon.AddMinutes(5), CancellationToken.None));

        var profile = await services.GetRequiredService<CallerStore>().GetAsync(caller, CancellationToken.None);
        Assert.Equal(2, profile?.CallCount);
        Assert.Equal(second, profile?.LastCallId);
    }

    [Fact]
    public async Task Concurrent_calls_from_one_caller_all_count_and_exactly_one_is_first()
    {
        await using var services = TestServices.Create(azurite);
        var profiles = services.GetRequiredService<ICallerProfiles>();
        var caller = RandomCaller();

        var answers = await Task.WhenAll(Enumerable.Range(0, 2).Select(i =>
            profiles.RecordCallAsync(caller, TestServices.UniqueId("call"), Noon.AddSeconds(i), CancellationToken.None)));

        Assert.Single(answers, first => first);
        var profile = await services.GetRequiredService<CallerStore>().GetAsync(caller, CancellationToken.None);
        Assert.Equal(2, profile?.CallCount);
    }

    [Fact]
    public async Task One_call_processed_concurrently_counts_once_with_one_answer()
    {
        await using var services = TestServices.Create(azurite);
        var profiles = services.GetRequiredService<ICallerProfiles>();
        var caller = RandomCaller();
        var callId = TestServices.UniqueId("call");

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            profiles.RecordCallAsync(caller, callId, Noon, CancellationToken.None)));

        Assert.All(answers, Assert.True);
        var profile = await services.GetRequiredService<CallerStore>().GetAsync(caller, CancellationToken.None);
        Assert.Equal(1, profile?.CallCount);
    }

    [Fact]
    public async Task A_withheld_caller_is_never_first_and_keeps_no_profile()
    {
        await using var services = TestServices.Create(azurite);
        var profiles = services.GetRequiredService<ICallerProfiles>();

        Assert.False(await profiles.RecordCallAsync(null, TestServices.UniqueId("call"), Noon, CancellationToken.None));
        Assert.False(await profiles.RecordCallAsync("anonymous", TestServices.UniqueId("call"), Noon, CancellationToken.None));
    }

    [Fact]
    public async Task The_profile_and_the_cached_enrichment_share_one_row_without_overwriting_each_other()
    {
        await using var services = TestServices.Create(azurite);
        var store = services.GetRequiredService<CallerStore>();
        var caller = RandomCaller();
        var cached = new CachedEnrichment("NumberInsightAdvanced", Noon, "GB", "London", "BT", LineTypes.Landline, 0.04m);

        await store.SaveEnrichmentAsync(caller, cached, CancellationToken.None);
        Assert.True(await services.GetRequiredService<ICallerProfiles>().RecordCallAsync(caller, TestServices.UniqueId("call"), Noon, CancellationToken.None));
        await store.SaveEnrichmentAsync(caller, cached with { Carrier = null }, CancellationToken.None);

        var profile = await store.GetAsync(caller, CancellationToken.None);
        Assert.Equal(1, profile?.CallCount);
        Assert.Equal(cached with { Carrier = null }, profile?.Enrichment);
    }
}

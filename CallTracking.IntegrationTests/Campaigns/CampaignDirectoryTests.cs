using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Campaigns;

[Collection(AzuriteCollection.Name)]
public class CampaignDirectoryTests(AzuriteFixture azurite)
{
    private static Campaign NewCampaign() => new()
    {
        Id = TestServices.UniqueId("dir"),
        Name = "Directory test",
        TrackingNumber = TestNumbers.UkMobile(),
        AgentNumber = TestNumbers.London(),
    };

    [Fact]
    public async Task A_hit_is_served_from_memory_until_the_ttl_passes()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var services = TestServices.Create(azurite, new Dictionary<string, string?> { ["CallTracking:CampaignCacheSeconds"] = "30" },
            s => s.AddSingleton<TimeProvider>(time));
        var store = services.GetRequiredService<CampaignStore>();
        var directory = services.GetRequiredService<CampaignDirectory>();
        var campaign = NewCampaign();
        await store.SaveAsync([campaign]);
        Assert.NotNull(await directory.FindByTrackingNumberAsync(campaign.TrackingNumber));

        await store.DeleteAsync(campaign.Id); // behind the directory's back, as another instance would

        Assert.NotNull(await directory.FindByTrackingNumberAsync(campaign.TrackingNumber));
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Null(await directory.FindByTrackingNumberAsync(campaign.TrackingNumber));
    }

    [Fact]
    public async Task Unknown_numbers_are_cached_only_briefly()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var services = TestServices.Create(azurite, new Dictionary<string, string?> { ["CallTracking:CampaignCacheSeconds"] = "300" },
            s => s.AddSingleton<TimeProvider>(time));
        var store = services.GetRequiredService<CampaignStore>();
        var directory = services.GetRequiredService<CampaignDirectory>();
        var campaign = NewCampaign();
        Assert.Null(await directory.FindByTrackingNumberAsync(campaign.TrackingNumber));

        await store.SaveAsync([campaign]);

        Assert.Null(await directory.FindByTrackingNumberAsync(campaign.TrackingNumber));
        time.Advance(CampaignDirectory.MaxNegativeTtl + TimeSpan.FromSeconds(1));
        Assert.Equal(campaign.Id, (await directory.FindByTrackingNumberAsync(campaign.TrackingNumber))?.Id);
    }

    [Fact]
    public async Task Concurrent_misses_for_one_number_share_one_point_read()
    {
        var counter = new RequestCounter();
        await using var services = TestServices.Create(azurite, configure: s => s.AddSingleton(_ =>
        {
            var options = new TableClientOptions();
            options.AddPolicy(counter, HttpPipelinePosition.PerCall);
            return new TableServiceClient(azurite.ConnectionString, options);
        }));
        // This client lacks the app's missing-table recovery: create the tables as start-up does.
        await services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
        var store = services.GetRequiredService<CampaignStore>();
        var directory = services.GetRequiredService<CampaignDirectory>();
        var campaign = NewCampaign();
        await store.SaveAsync([campaign]);
        var digits = campaign.TrackingNumber[1..];
        var before = counter.Count(digits);

        var lookups = Enumerable.Range(0, 50).Select(_ => directory.FindByTrackingNumberAsync(campaign.TrackingNumber).AsTask()).ToArray();
        var found = await Task.WhenAll(lookups);

        Assert.All(found, c => Assert.Equal(campaign.Id, c?.Id));
        Assert.Equal(1, counter.Count(digits) - before);
    }

    [Fact]
    public async Task Preloading_caches_every_campaign_so_the_first_lookups_read_no_storage()
    {
        var counter = new RequestCounter();
        await using var services = TestServices.Create(azurite, new Dictionary<string, string?> { ["CallTracking:CampaignCacheSeconds"] = "300" },
            s => s.AddSingleton(_ =>
            {
                var options = new TableClientOptions();
                options.AddPolicy(counter, HttpPipelinePosition.PerCall);
                return new TableServiceClient(azurite.ConnectionString, options);
            }));
        await services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
        var store = services.GetRequiredService<CampaignStore>();
        var directory = services.GetRequiredService<CampaignDirectory>();
        var campaigns = new[] { NewCampaign(), NewCampaign() };
        await store.SaveAsync(campaigns);
        var before = campaigns.Select(c => counter.Count(c.TrackingNumber[1..])).ToArray();

        await directory.PreloadAsync();

        foreach (var (campaign, reads) in campaigns.Zip(before))
        {
            var lookup = directory.FindByTrackingNumberAsync(campaign.TrackingNumber);
            Assert.True(lookup.IsCompletedSuccessfully, "a preloaded number is a cache hit");
            Assert.Equal(campaign.Id, (await lookup)?.Id);
            Assert.Equal(campaign.AgentNumber, (await lookup)?.AgentNumber);
            Assert.Equal(reads, counter.Count(campaign.TrackingNumber[1..]));
        }
    }

    /// <summary>Observes (never changes) the real requests to Azurite.</summary>
    private sealed class RequestCounter : HttpPipelineSynchronousPolicy
    {
        private readonly List<string> _uris = [];

        public override void OnSendingRequest(HttpMessage message)
        {
            lock (_uris)
            {
                _uris.Add(Uri.UnescapeDataString(message.Request.Uri.ToString()));
            }
        }

        public int Count(string contains)
        {
            lock (_uris)
            {
                return _uris.Count(u => u.Contains(contains, StringComparison.Ordinal) && u.Contains("number|", StringComparison.Ordinal));
            }
        }
    }
}

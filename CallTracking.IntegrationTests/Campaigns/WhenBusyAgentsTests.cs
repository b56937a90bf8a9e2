using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Campaigns;

/// <summary>
/// The agents whose availability the hold queue tracks: those of a <c>whenBusy</c> campaign, from one shared query of
/// the campaigns table kept for the campaign cache's TTL, forgotten at once by admin writes in this process, and every
/// agent while the campaigns cannot be read.
/// </summary>
[Collection(AzuriteCollection.Name)]
public class WhenBusyAgentsTests(AzuriteFixture azurite)
{
    private static readonly WhenBusy Hold = new() { HoldMusicUrl = "https://example.com/hold.mp3" };

    private static Campaign NewCampaign(string agent, WhenBusy? whenBusy) => new()
    {
        Id = TestServices.UniqueId("wba"),
        Name = "When-busy agents test",
        TrackingNumber = TestNumbers.UkMobile(),
        AgentNumber = agent,
        WhenBusy = whenBusy,
    };

    [Fact]
    public async Task Only_agents_of_whenBusy_campaigns_are_tracked_and_another_instances_change_is_seen_after_the_ttl()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var services = TestServices.Create(azurite, new Dictionary<string, string?> { ["CallTracking:CampaignCacheSeconds"] = "30" },
            s => s.AddSingleton<TimeProvider>(time));
        var store = services.GetRequiredService<CampaignStore>();
        var agents = services.GetRequiredService<WhenBusyAgents>();
        var (shared, plainOnly, later) = (TestNumbers.London(), TestNumbers.London(), TestNumbers.London());
        var switched = NewCampaign(later, whenBusy: null);
        await store.SaveAsync([NewCampaign(shared, Hold), NewCampaign(shared, whenBusy: null), NewCampaign(plainOnly, whenBusy: null), switched]);

        Assert.True(await agents.IsTrackedAsync(shared));
        Assert.False(await agents.IsTrackedAsync(plainOnly));
        Assert.False(await agents.IsTrackedAsync(later));

        await store.SaveAsync([switched with { WhenBusy = Hold }]); // behind this instance's back, as another instance would

        Assert.False(await agents.IsTrackedAsync(later));
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.True(await agents.IsTrackedAsync(later));
        Assert.False(await agents.IsTrackedAsync(plainOnly));
    }

    [Fact]
    public async Task Admin_writes_in_this_process_are_tracked_at_once()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var services = TestServices.Create(azurite, new Dictionary<string, string?> { ["CallTracking:CampaignCacheSeconds"] = "300" },
            s => s.AddSingleton<TimeProvider>(time));
        var admin = services.GetRequiredService<CampaignAdmin>();
        var agents = services.GetRequiredService<WhenBusyAgents>();
        var (id, agent) = (TestServices.UniqueId("wba"), TestNumbers.London());
        var body = $$"""{"name":"Switched","trackingNumber":"{{TestNumbers.London()}}","agentNumber":"{{agent}}"}""";
        await admin.PutAsync(id, Encoding.UTF8.GetBytes(body));
        Assert.False(await agents.IsTrackedAsync(agent));

        await admin.PutAsync(id, Encoding.UTF8.GetBytes(body[..^1] + ""","whenBusy":{"holdMusicUrl":"https://example.com/hold.mp3"}}"""));
        Assert.True(await agents.IsTrackedAsync(agent));

        Assert.True(await admin.DeleteAsync(id));
        Assert.False(await agents.IsTrackedAsync(agent));
    }

    [Fact]
    public async Task Concurrent_checks_of_an_expired_set_share_one_query()
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
        var agent = TestNumbers.London();
        await services.GetRequiredService<CampaignStore>().SaveAsync([NewCampaign(agent, Hold)]);
        var agents = services.GetRequiredService<WhenBusyAgents>();
        var before = counter.Queries();

        var checks = Enumerable.Range(0, 50).Select(i => agents.IsTrackedAsync(i % 2 == 0 ? agent : TestNumbers.London()).AsTask()).ToArray();
        var tracked = await Task.WhenAll(checks);

        Assert.Equal(Enumerable.Range(0, 50).Select(i => i % 2 == 0), tracked);
        Assert.Equal(1, counter.Queries() - before);
        Assert.True(await agents.IsTrackedAsync(agent));
        Assert.Equal(1, counter.Queries() - before);
    }

    [Fact]
    public async Task While_the_campaigns_cannot_be_read_every_agent_is_tracked_and_the_query_is_tried_again_later()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var late = new AzuriteFixture(); // ports reserved, nothing listening yet
        try
        {
            await using var services = TestServices.Create(late, new Dictionary<string, string?> { ["CallTracking:CampaignCacheSeconds"] = "300" },
                s => s.AddSingleton<TimeProvider>(time));
            var agents = services.GetRequiredService<WhenBusyAgents>();
            var agent = TestNumbers.London();

            Assert.True(await agents.IsTrackedAsync(agent));

            await late.InitializeAsync();
            Assert.True(await agents.IsTrackedAsync(agent)); // not asked again before the retry
            time.Advance(WhenBusyAgents.FailureRetry + TimeSpan.FromSeconds(1));
            Assert.False(await agents.IsTrackedAsync(agent));
        }
        finally
        {
            await late.DisposeAsync();
        }
    }

    [Fact]
    public async Task Without_a_campaign_cache_every_agent_is_tracked_without_a_query()
    {
        var counter = new RequestCounter();
        await using var services = TestServices.Create(azurite, new Dictionary<string, string?> { ["CallTracking:CampaignCacheSeconds"] = "0" },
            s => s.AddSingleton(_ =>
            {
                var options = new TableClientOptions();
                options.AddPolicy(counter, HttpPipelinePosition.PerCall);
                return new TableServiceClient(azurite.ConnectionString, options);
            }));
        await services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
        var agent = TestNumbers.London();
        await services.GetRequiredService<CampaignStore>().SaveAsync([NewCampaign(agent, whenBusy: null)]);

        Assert.True(await services.GetRequiredService<WhenBusyAgents>().IsTrackedAsync(agent));
        Assert.Equal(0, counter.Queries());
    }

    /// <summary>Observes (never changes) the real requests to Azurite: queries of the campaigns table.</summary>
    private sealed class RequestCounter : HttpPipelineSynchronousPolicy
    {
        private int _queries;

        public override void OnSendingRequest(HttpMessage message)
        {
            var uri = Uri.UnescapeDataString(message.Request.Uri.ToString());
            if (uri.Contains("/" + StorageNames.CampaignsTable + "()", StringComparison.Ordinal) && uri.Contains("$filter", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _queries);
            }
        }

        public int Queries() => Volatile.Read(ref _queries);
    }
}

using System.Text;
using Azure.Data.Tables;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Calls;

/// <summary>The live call index through the real intake, processor and stats, against Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LiveCallIndexTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _services = TestServices.Create(azurite, new Dictionary<string, string?> { ["CallTracking__ProcessingDelaySeconds"] = "0" });
        await _services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    private async Task<(Campaign Campaign, CallEvents Events)> NewCallAsync()
    {
        var campaign = new Campaign
        {
            Id = TestServices.UniqueId("live"),
            Name = "Live",
            TrackingNumber = TestNumbers.UkMobile(),
            AgentNumber = TestNumbers.London(),
        };
        await _services.GetRequiredService<CampaignStore>().SaveAsync([campaign]);
        return (campaign, new CallEvents(TestServices.UniqueId("CON"), TestNumbers.Digits(campaign.TrackingNumber)));
    }

    private async Task DeliverAsync(IEnumerable<string> events)
    {
        var intake = _services.GetRequiredService<CallIntake>();
        foreach (var json in events)
        {
            await intake.HandleEventAsync(Encoding.UTF8.GetBytes(json));
        }
    }

    private Task<LiveCallCounts> CountAsync(Campaign campaign) => _services.GetRequiredService<LiveCallIndex>().CountAsync(campaign.Id);

    [Fact]
    public async Task A_call_is_in_progress_between_answered_and_completed_then_pending_until_processed()
    {
        var (campaign, events) = await NewCallAsync();
        var all = events.AnsweredCall();

        await DeliverAsync(all.Take(6)); // up to the agent's answered
        var talking = await CountAsync(campaign);
        var stats = await _services.GetRequiredService<CampaignStatsService>().GetAsync(campaign.Id,
            ReportRange.Parse(null, null, null, DateTimeOffset.UtcNow), CancellationToken.None);
        await DeliverAsync(all.Skip(6)); // both legs completed
        var finished = await CountAsync(campaign);
        await _services.GetRequiredService<CallProcessor>().ProcessAsync(events.ConversationUuid);
        var processed = await CountAsync(campaign);

        Assert.Equal(new LiveCallCounts(1, 0), talking);
        Assert.Equal((1, 0), (stats.InProgress, stats.Pending));
        Assert.Equal(new LiveCallCounts(0, 1), finished);
        Assert.Equal(LiveCallCounts.None, processed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Duplicate_and_shuffled_events_never_reopen_a_finished_call(int seed)
    {
        var (campaign, events) = await NewCallAsync();
        var shuffled = events.AnsweredCall().Concat(events.AnsweredCall()).ToArray();
        new Random(seed).Shuffle(shuffled);

        await DeliverAsync(shuffled);
        await DeliverAsync(events.AnsweredCall().Take(3)); // a late redelivery of early events

        Assert.Equal(new LiveCallCounts(0, 1), await CountAsync(campaign));
    }

    [Fact]
    public async Task A_stale_row_heals_against_the_ledger_on_read()
    {
        var (campaign, events) = await NewCallAsync();
        await DeliverAsync(events.AnsweredCall());
        await _services.GetRequiredService<CallProcessor>().ProcessAsync(events.ConversationUuid);
        var table = azurite.TableService().GetTableClient(StorageNames.LiveCallsTable);
        // A write that read the ledger before processing and landed after it.
        await table.UpsertEntityAsync(new TableEntity(campaign.Id, events.ConversationUuid) { ["State"] = LiveCallIndex.Live });
        var later = new ManualTimeProvider(DateTimeOffset.UtcNow + LiveCallIndex.VerifyAfter + TimeSpan.FromMinutes(1));
        var index = new LiveCallIndex(azurite.TableService(), _services.GetRequiredService<CallStore>(), later);

        Assert.Equal(new LiveCallCounts(1, 0), await CountAsync(campaign)); // still fresh: counted as written
        Assert.Equal(LiveCallCounts.None, await index.CountAsync(campaign.Id));
        Assert.False((await table.GetEntityIfExistsAsync<TableEntity>(campaign.Id, events.ConversationUuid)).HasValue);
    }

    [Fact]
    public async Task Tracking_many_new_calls_at_once_never_reopens_an_ended_one()
    {
        var (campaign, _) = await NewCallAsync();
        var index = _services.GetRequiredService<LiveCallIndex>();
        var ended = new CallRecord { PartitionKey = TestServices.UniqueId("CON"), CampaignId = campaign.Id, InboundStatus = "completed" };
        await index.TrackAsync(ended);
        var fresh = Enumerable.Range(0, 3)
            .Select(_ => new CallRecord { PartitionKey = TestServices.UniqueId("CON"), CampaignId = campaign.Id, InboundStatus = "ringing" })
            .ToList();

        // A fresh index (another instance) that knows nothing: the ended call's late start record is in the batch.
        var other = new LiveCallIndex(azurite.TableService(), _services.GetRequiredService<CallStore>(), TimeProvider.System);
        await other.TrackAllAsync([.. fresh, new CallRecord { PartitionKey = ended.PartitionKey, CampaignId = campaign.Id, InboundStatus = "ringing" }]);
        Assert.Equal(new LiveCallCounts(3, 1), await CountAsync(campaign));

        await other.TrackAllAsync(fresh); // again: nothing changes
        Assert.Equal(new LiveCallCounts(3, 1), await CountAsync(campaign));
    }
}

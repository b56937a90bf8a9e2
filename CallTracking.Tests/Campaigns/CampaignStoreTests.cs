using CallTracking.Functions.Campaigns;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Campaigns;

[Collection(AzuriteCollection.Name)]
public class CampaignStoreTests(AzuriteFixture azurite)
{
    private static Campaign NewCampaign(string id, string trackingNumber) => new()
    {
        Id = id,
        Name = "Campaign " + id,
        TrackingNumber = trackingNumber,
        AgentNumber = "+14155550101",
    };

    private static string RandomNumber() => "+1415555" + Random.Shared.Next(1000, 9999);

    [Fact]
    public async Task Two_concurrent_creates_with_one_tracking_number_store_exactly_one()
    {
        await using var services = TestServices.Create(azurite);
        var store = services.GetRequiredService<CampaignStore>();
        var number = "+4420" + Random.Shared.Next(10000000, 99999999);
        var a = NewCampaign(TestServices.UniqueId("a"), number);
        var b = NewCampaign(TestServices.UniqueId("b"), number);

        var results = await Task.WhenAll(
            Capture(() => store.SaveAsync([a])),
            Capture(() => store.SaveAsync([b])));

        Assert.Single(results, r => r is null);
        var conflict = Assert.IsType<CampaignConflictException>(Assert.Single(results, r => r is not null));
        Assert.Equal("trackingNumber", conflict.Field);

        var owner = await store.FindByTrackingNumberAsync(number);
        Assert.NotNull(owner);
        var loser = owner.Id == a.Id ? b : a;
        Assert.Null(await store.GetAsync(loser.Id)); // the losing transaction left nothing behind
    }

    [Fact]
    public async Task Changing_the_tracking_number_frees_the_old_one()
    {
        await using var services = TestServices.Create(azurite);
        var store = services.GetRequiredService<CampaignStore>();
        var campaign = NewCampaign(TestServices.UniqueId(), RandomNumber());
        await store.SaveAsync([campaign]);

        var moved = campaign with { TrackingNumber = "+4420" + Random.Shared.Next(10000000, 99999999) };
        var saved = Assert.Single(await store.SaveAsync([moved]));

        Assert.False(saved.Created);
        Assert.Null(await store.FindByTrackingNumberAsync(campaign.TrackingNumber));
        Assert.Equal(campaign.Id, (await store.FindByTrackingNumberAsync(moved.TrackingNumber))?.Id);
        Assert.True(await store.DeleteAsync(campaign.Id));
        Assert.Null(await store.FindByTrackingNumberAsync(moved.TrackingNumber));
    }

    private static async Task<Exception?> Capture(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}

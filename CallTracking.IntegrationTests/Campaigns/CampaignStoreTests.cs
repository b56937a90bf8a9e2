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

    private static string RandomNumber() => "+4420" + Random.Shared.Next(10000000, 99999999);

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

    [Fact]
    public async Task Two_campaigns_swap_their_numbers_in_one_import()
    {
        // Was a 500: the import released and re-claimed the same number row twice in one transaction.
        await using var services = TestServices.Create(azurite);
        var store = services.GetRequiredService<CampaignStore>();
        var a = NewCampaign(TestServices.UniqueId(), RandomNumber());
        var b = NewCampaign(TestServices.UniqueId(), RandomNumber());
        await store.SaveAsync([a, b]);

        var saved = await store.SaveAsync([a with { TrackingNumber = b.TrackingNumber }, b with { TrackingNumber = a.TrackingNumber }]);

        Assert.All(saved, s => Assert.False(s.Created));
        Assert.Equal(b.Id, (await store.FindByTrackingNumberAsync(a.TrackingNumber))?.Id);
        Assert.Equal(a.Id, (await store.FindByTrackingNumberAsync(b.TrackingNumber))?.Id);
        Assert.Equal(b.TrackingNumber, (await store.GetAsync(a.Id))?.TrackingNumber);
    }

    [Fact]
    public async Task Taking_a_number_owned_outside_the_import_is_a_conflict_and_writes_nothing()
    {
        await using var services = TestServices.Create(azurite);
        var store = services.GetRequiredService<CampaignStore>();
        var owner = NewCampaign(TestServices.UniqueId(), RandomNumber());
        var mover = NewCampaign(TestServices.UniqueId(), RandomNumber());
        await store.SaveAsync([owner, mover]);
        var fresh = NewCampaign(TestServices.UniqueId(), RandomNumber());

        var error = await Assert.ThrowsAsync<CampaignConflictException>(() =>
            store.SaveAsync([fresh, mover with { TrackingNumber = owner.TrackingNumber }]));

        Assert.Equal("trackingNumber", error.Field);
        Assert.Null(await store.GetAsync(fresh.Id));
        Assert.Equal(mover.TrackingNumber, (await store.GetAsync(mover.Id))?.TrackingNumber);
        Assert.Equal(mover.Id, (await store.FindByTrackingNumberAsync(mover.TrackingNumber))?.Id);
        Assert.Equal(owner.Id, (await store.FindByTrackingNumberAsync(owner.TrackingNumber))?.Id);
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

using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Calls;

/// <summary>
/// The ledger's read-modify-write when this instance saw the row last (<see cref="RecentCallRecords"/>): the copy is
/// written without a read, so a copy that another instance has changed since must lose its race, never the other's write.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class CallStoreTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private ServiceProvider _services = null!;
    private CallStore _calls = null!;
    private CallStore _otherInstance = null!;

    public async Task InitializeAsync()
    {
        _services = TestServices.Create(azurite);
        await _services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
        _calls = _services.GetRequiredService<CallStore>();
        _otherInstance = new CallStore(azurite.TableService(), _services.GetRequiredService<OptimisticConcurrency>(), new RecentCallRecords());
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task An_update_from_a_copy_changed_elsewhere_is_applied_to_the_stored_row()
    {
        var id = TestServices.UniqueId("CON");
        await _calls.UpdateAsync(id, c => Set(() => c.InboundStatus = "ringing"));
        await _otherInstance.UpdateAsync(id, c => Set(() => c.InboundStatus = "answered"));

        var updated = await _calls.UpdateAsync(id, c => Set(() => c.AgentStatus = "ringing"));

        var stored = await _otherInstance.GetAsync(id);
        Assert.Equal("answered", stored!.InboundStatus);
        Assert.Equal("ringing", stored.AgentStatus);
        Assert.Equal("answered", updated.InboundStatus);
    }

    [Fact]
    public async Task A_change_with_nothing_to_do_on_the_copy_is_decided_on_the_stored_row()
    {
        var id = TestServices.UniqueId("CON");
        await _calls.UpdateAsync(id, c => Set(() => c.InboundStatus = "completed"));
        var enqueuedElsewhere = DateTimeOffset.UtcNow.AddSeconds(-1);
        await _otherInstance.UpdateAsync(id, c => Set(() => c.EnqueuedAt = enqueuedElsewhere));

        // Claims only a call not yet enqueued: the copy says it is not, the stored row says it is.
        var result = await _calls.UpdateAsync(id, c =>
        {
            if (c.EnqueuedAt is not null)
            {
                return false;
            }

            c.EnqueuedAt = DateTimeOffset.UtcNow;
            return true;
        });

        Assert.Equal(enqueuedElsewhere, result.EnqueuedAt);
        Assert.Equal(enqueuedElsewhere, (await _otherInstance.GetAsync(id))!.EnqueuedAt);
    }

    [Fact]
    public async Task A_row_deleted_elsewhere_is_written_anew_not_lost()
    {
        var id = TestServices.UniqueId("CON");
        await _calls.UpdateAsync(id, c => Set(() => c.InboundStatus = "ringing"));
        await azurite.TableService().GetTableClient(StorageNames.CallsTable).DeleteEntityAsync(id, CallRecord.RowKeyValue);

        await _calls.UpdateAsync(id, c => Set(() => c.AgentStatus = "ringing"));

        var stored = await _otherInstance.GetAsync(id);
        Assert.Null(stored!.InboundStatus);
        Assert.Equal("ringing", stored.AgentStatus);
    }

    private static bool Set(Action set)
    {
        set();
        return true;
    }
}

using System.Diagnostics;
using Azure.Data.Tables;
using CallTracking.Functions;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace CallTracking.Tests.Common;

/// <summary>
/// Tables and queues are created once, before the worker serves anything; a storage outage at start-up does not stop
/// the app; a table or queue that goes missing while it runs is created again by the first request that misses it.
/// </summary>
[Collection(AzuriteCollection.Name)]
public class StorageInitializationTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Storage_is_created_before_any_hosted_service_starts_even_one_registered_before_the_app()
    {
        var tables = azurite.TableService();
        var watchdogQueue = azurite.QueueService().GetQueueClient(StorageNames.CallsWatchdogQueue);
        await tables.DeleteTableAsync(StorageNames.DeliveriesTable);
        await watchdogQueue.DeleteIfExistsAsync();
        // The Functions worker connects to the host, and so starts receiving invocations, in a hosted service
        // registered before the app's services; this one stands in for it.
        var worker = new WorkerStandIn(async () => await TableExistsAsync(tables, StorageNames.DeliveriesTable) && await watchdogQueue.ExistsAsync());

        using var host = BuildHost(azurite.ConnectionString, worker);
        await host.StartAsync();
        await host.StopAsync();

        Assert.True(worker.StorageWasReady);
    }

    [Fact]
    public async Task With_storage_down_the_app_starts_within_the_budget_and_creates_storage_once_it_is_up()
    {
        var late = new AzuriteFixture(); // ports reserved, nothing listening yet
        try
        {
            var worker = new WorkerStandIn(() => Task.FromResult(true));
            using var host = BuildHost(late.ConnectionString, worker);
            var initializer = host.Services.GetRequiredService<StorageInitializer>();

            var started = Stopwatch.StartNew();
            await host.StartAsync();
            started.Stop();

            Assert.True(worker.Started);
            Assert.False(initializer.IsCreated);
            // The budget, plus room for a busy shared machine.
            Assert.InRange(started.Elapsed, TimeSpan.Zero, StorageInitializerService.StartupBudget + TimeSpan.FromSeconds(10));

            await late.InitializeAsync();
            for (var wait = 0; wait < 240 && !initializer.IsCreated; wait++)
            {
                await Task.Delay(250);
            }

            Assert.True(initializer.IsCreated, "the background retry did not create storage after it came up");
            Assert.True(await TableExistsAsync(late.TableService(), StorageNames.CallsTable));
            Assert.True(await late.QueueService().GetQueueClient(StorageNames.CallsCompletedQueue).ExistsAsync());
            await host.StopAsync();
        }
        finally
        {
            await late.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_table_deleted_while_the_app_runs_is_created_again_once_for_a_burst_of_writes()
    {
        await using var services = TestServices.Create(azurite);
        var initializer = services.GetRequiredService<StorageInitializer>();
        await initializer.EnsureCreatedAsync();
        await azurite.TableService().DeleteTableAsync(StorageNames.CallsTable);
        var runsBefore = initializer.CompletedRuns;
        var store = services.GetRequiredService<CallStore>();
        var ids = Enumerable.Range(0, 8).Select(_ => TestServices.UniqueId("CON")).ToList();

        await Task.WhenAll(ids.Select(id => store.UpdateAsync(id, call =>
        {
            call.CallerNumber = "+14155550123";
            return true;
        })));

        Assert.Equal(runsBefore + 1, initializer.CompletedRuns);
        foreach (var id in ids)
        {
            Assert.Equal("+14155550123", (await store.GetAsync(id))?.CallerNumber);
        }
    }

    [Fact]
    public async Task A_transaction_into_a_deleted_table_creates_it_again_and_commits()
    {
        await using var services = TestServices.Create(azurite);
        await services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
        await azurite.TableService().DeleteTableAsync(StorageNames.CampaignStatsTable);
        var table = services.GetRequiredService<TableServiceClient>().GetTableClient(StorageNames.CampaignStatsTable);
        var partition = TestServices.UniqueId("c");

        // An entity-group transaction reports a missing table inside a 202 response, not as a 404.
        await table.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partition, "a")),
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partition, "b")),
        ]);

        var rows = await table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition}")).ToListAsync();
        Assert.Equal(new[] { "a", "b" }, rows.Select(r => r.RowKey));
    }

    [Fact]
    public async Task A_message_for_a_deleted_queue_creates_it_again_and_is_sent()
    {
        await using var services = TestServices.Create(azurite);
        await services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
        var queueName = StorageNames.CallsCompletedPoisonQueue;
        await azurite.QueueService().GetQueueClient(queueName).DeleteIfExistsAsync();
        var queue = services.GetRequiredService<Azure.Storage.Queues.QueueServiceClient>().GetQueueClient(queueName);
        var body = $$"""{"callId":"{{TestServices.UniqueId("CON")}}"}""";

        await queue.SendMessageAsync(body);

        var received = await queue.ReceiveMessagesAsync(32);
        Assert.Contains(received.Value, m => m.Body.ToString() == body);
        await queue.ClearMessagesAsync();
    }

    private static IHost BuildHost(string storageConnection, WorkerStandIn worker)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(TestServices.DefaultSettings)
        {
            [StorageNames.StorageConnection] = storageConnection,
        });
        builder.Services.AddHostedService(_ => worker);
        builder.Services.AddCallTrackingApp();
        return builder.Build();
    }

    private static async Task<bool> TableExistsAsync(TableServiceClient tables, string name) =>
        await tables.QueryAsync(TableServiceClient.CreateQueryFilter($"TableName eq {name}")).AnyAsync();

    /// <summary>Records, when the host starts it, whether storage was already there.</summary>
    private sealed class WorkerStandIn(Func<Task<bool>> storageIsReady) : IHostedService
    {
        public bool Started { get; private set; }

        public bool StorageWasReady { get; private set; }

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            StorageWasReady = await storageIsReady();
            Started = true;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

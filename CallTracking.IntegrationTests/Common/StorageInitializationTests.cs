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
/// Tables and queues are created once at start-up, in the background, and a request that gets to one before it exists
/// still succeeds and lands (it waits for that creation); a storage outage at start-up does not stop
/// the app; a table or queue that goes missing while it runs is created again by the first request that misses it.
/// </summary>
[Collection(AzuriteCollection.Name)]
public class StorageInitializationTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Requests_sent_before_storage_is_created_succeed_and_land_their_rows_and_messages()
    {
        // Creation runs in the background since issue 17 (the worker serves while it runs): a request may get to a
        // table or queue before it exists. Here the first one is sent even before creation starts (the stand-in's
        // StartingAsync runs before the app's), the second while it runs.
        var tables = azurite.TableService();
        await tables.DeleteTableAsync(StorageNames.CallsTable);
        await azurite.QueueService().GetQueueClient(StorageNames.CallsWatchdogQueue).DeleteIfExistsAsync();
        var early = new EarlyRequests();

        using var host = BuildHost(azurite.ConnectionString, early);
        await host.StartAsync();
        await early.Sent;
        await host.Services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();

        var store = host.Services.GetRequiredService<CallStore>();
        var watchdog = azurite.QueueService().GetQueueClient(StorageNames.CallsWatchdogQueue);
        var messages = (await watchdog.ReceiveMessagesAsync(32)).Value.Select(m => m.Body.ToString()).ToList();
        foreach (var id in early.CallIds)
        {
            Assert.Equal("+14155550123", (await store.GetAsync(id))?.CallerNumber);
            Assert.Contains(messages, m => m.Contains(id, StringComparison.Ordinal));
        }

        await watchdog.ClearMessagesAsync();
        await host.StopAsync();
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

    private static IHost BuildHost(string storageConnection, EarlyRequests early) =>
        BuildHost(storageConnection, (IHostedService)early, services => early.Attach(services));

    private static IHost BuildHost(string storageConnection, WorkerStandIn worker) => BuildHost(storageConnection, worker, _ => { });

    private static IHost BuildHost(string storageConnection, IHostedService worker, Action<IServiceProvider> built)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(TestServices.DefaultSettings)
        {
            [StorageNames.StorageConnection] = storageConnection,
        });
        builder.Services.AddSingleton(worker);
        builder.Services.AddCallTrackingApp();
        var host = builder.Build();
        built(host.Services);
        return host;
    }

    private static async Task<bool> TableExistsAsync(TableServiceClient tables, string name) =>
        await tables.QueryAsync(TableServiceClient.CreateQueryFilter($"TableName eq {name}")).AnyAsync();

    /// <summary>
    /// Writes a call row and sends a queue message through the app's own clients: once in StartingAsync, before the
    /// app's storage creation has started, once in StartAsync, while it runs.
    /// </summary>
    private sealed class EarlyRequests : IHostedLifecycleService
    {
        private readonly TaskCompletionSource _sent = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<string> _callIds = [];
        private IServiceProvider? _services;
        private Task _beforeCreation = Task.CompletedTask;

        public Task Sent => _sent.Task;

        public IReadOnlyList<string> CallIds => _callIds;

        public EarlyRequests Attach(IServiceProvider services)
        {
            _services = services;
            return this;
        }

        public async Task StartingAsync(CancellationToken cancellationToken)
        {
            _beforeCreation = SendAsync();
            await _beforeCreation;
        }

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            try
            {
                await Task.WhenAll(_beforeCreation, SendAsync());
                _sent.TrySetResult();
            }
            catch (Exception ex)
            {
                _sent.TrySetException(ex);
            }
        }

        private async Task SendAsync()
        {
            var id = TestServices.UniqueId("CON");
            lock (_callIds)
            {
                _callIds.Add(id);
            }

            var services = _services ?? throw new InvalidOperationException("not attached");
            await services.GetRequiredService<CallStore>().UpdateAsync(id, call =>
            {
                call.CallerNumber = "+14155550123";
                return true;
            });
            await services.GetRequiredService<Azure.Storage.Queues.QueueServiceClient>()
                .GetQueueClient(StorageNames.CallsWatchdogQueue).SendMessageAsync($$"""{"callId":"{{id}}"}""");
        }

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

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

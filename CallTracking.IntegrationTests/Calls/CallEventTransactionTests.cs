using System.Collections.Concurrent;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Calls;

/// <summary>
/// The raw event and its ledger change as one entity-group transaction in the call's partition of <c>Calls</c>,
/// against Azurite: the app's own services, with its table client counting what it sends.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class CallEventTransactionTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly RequestLog _requests = new();
    private ServiceProvider _services = null!;
    private CallIntake _intake = null!;
    private CallStore _calls = null!;
    private CallStore _otherInstance = null!;
    private TableClient _callsTable = null!;

    public async Task InitializeAsync()
    {
        var options = new TableClientOptions();
        options.AddPolicy(_requests, HttpPipelinePosition.PerCall);
        var counted = new TableServiceClient(azurite.ConnectionString, options);
        _services = TestServices.Create(azurite, new Dictionary<string, string?> { ["CallTracking__ProcessingDelaySeconds"] = "0" },
            services => services.AddSingleton(counted));
        await _services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
        _intake = _services.GetRequiredService<CallIntake>();
        _calls = _services.GetRequiredService<CallStore>();
        _otherInstance = new CallStore(azurite.TableService(), _services.GetRequiredService<OptimisticConcurrency>(), new RecentCallRecords());
        _callsTable = azurite.TableService().GetTableClient(StorageNames.CallsTable);
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    private Task DeliverAsync(string json) => _intake.HandleEventAsync(Encoding.UTF8.GetBytes(json));

    /// <summary>The ledger row as the answer webhook leaves it (written through this instance, so it holds the copy).</summary>
    private Task<CallRecord> AnsweredAsync(CallEvents events) => _calls.UpdateAsync(events.ConversationUuid, c => Answer(c, events));

    private static bool Answer(CallRecord call, CallEvents events)
    {
        call.CampaignId = "camp-txn";
        call.TrackingNumber = "+" + events.TrackingNumber;
        call.InboundLegUuid = events.InboundUuid;
        return true;
    }

    /// <summary>The requests that touched the ledger's table (single-entity ones named by table, transactions as $batch).</summary>
    private List<string> CallsRequests() =>
        _requests.Sent.Where(r => r.EndsWith(" " + StorageNames.CallsTable, StringComparison.Ordinal) || r.EndsWith(" $batch", StringComparison.Ordinal)).ToList();

    /// <summary>The ledger after the answer and <paramref name="delivered"/>, by the state machine alone.</summary>
    private static CallRecord Expected(CallEvents events, IEnumerable<string> delivered)
    {
        var call = new CallRecord();
        Answer(call, events);
        foreach (var json in delivered)
        {
            CallStateMachine.Apply(call, CallEventParser.ParseEvent(Encoding.UTF8.GetBytes(json)), DateTimeOffset.UtcNow);
        }

        return call;
    }

    [Fact]
    public async Task Each_event_is_one_transaction_holding_its_raw_row_and_its_ledger_change()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        await AnsweredAsync(events);
        var all = events.AnsweredCall();

        for (var i = 0; i < all.Count; i++)
        {
            _requests.Clear();
            await DeliverAsync(all[i]);

            // The completing event also records, after sending the calls-completed message, that it was sent.
            var expected = i < all.Count - 1 ? new[] { "POST $batch" } : ["POST $batch", "PUT Calls"];
            Assert.Equal(expected, CallsRequests());
            Assert.Equal(i + 1, (await StoredCallRows.EventsAsync(azurite.TableService(), events.ConversationUuid)).Count);
            Assert.Equal(CallEvents.Snapshot(Expected(events, all.Take(i + 1))), CallEvents.Snapshot((await _otherInstance.GetAsync(events.ConversationUuid))!));
        }

        Assert.Empty(await StoredCallRows.LegacyEventsAsync(azurite.TableService(), events.ConversationUuid));
        var rows = await StoredCallRows.EventsAsync(azurite.TableService(), events.ConversationUuid);
        Assert.All(rows, r => Assert.StartsWith(CallEventStore.RowKeyPrefix, r.RowKey, StringComparison.Ordinal));
        Assert.All(rows, r => Assert.DoesNotContain(events.Caller, r.GetString("Body"), StringComparison.Ordinal)); // masked as before
    }

    [Fact]
    public async Task A_duplicate_event_is_one_row_and_changes_nothing()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        await AnsweredAsync(events);
        foreach (var json in events.AnsweredCall())
        {
            await DeliverAsync(json);
        }

        var ledger = (await StoredCallRows.LedgerAsync(azurite.TableService(), events.ConversationUuid)).Single();
        var rows = await StoredCallRows.EventsAsync(azurite.TableService(), events.ConversationUuid);

        foreach (var json in events.AnsweredCall())
        {
            await DeliverAsync(json);
        }

        Assert.Equal(ledger.ETag, (await StoredCallRows.LedgerAsync(azurite.TableService(), events.ConversationUuid)).Single().ETag);
        Assert.Equal(rows.Select(r => (r.RowKey, r.ETag)), (await StoredCallRows.EventsAsync(azurite.TableService(), events.ConversationUuid)).Select(r => (r.RowKey, r.ETag)));
    }

    [Fact]
    public async Task An_event_whose_row_is_stored_but_whose_change_is_not_still_changes_the_ledger()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        await AnsweredAsync(events);
        var started = events.Inbound("started", 0);
        var body = Encoding.UTF8.GetBytes(started);
        Assert.True(await _services.GetRequiredService<CallEventStore>().TryAddAsync(CallEventParser.ParseEvent(body), body));

        _requests.Clear();
        await DeliverAsync(started);

        // The transaction fails on the raw row (a duplicate, nothing written), so the change is written alone.
        Assert.Equal(["POST $batch", "PUT Calls"], CallsRequests());
        Assert.Equal("started", (await _otherInstance.GetAsync(events.ConversationUuid))!.InboundStatus);
        Assert.Single(await StoredCallRows.EventsAsync(azurite.TableService(), events.ConversationUuid));
    }

    [Fact]
    public async Task A_lost_race_on_the_ledger_row_still_lands_both_rows()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        await AnsweredAsync(events);
        await DeliverAsync(events.Inbound("started", 0));

        // Another instance changes the row between two events: this instance's copy is stale.
        await _otherInstance.UpdateAsync(events.ConversationUuid, c =>
        {
            c.AgentNumber = "+447700900999";
            return true;
        });
        _requests.Clear();
        await DeliverAsync(events.Inbound("ringing", 0.1));

        Assert.Equal(["POST $batch", "GET Calls", "POST $batch"], CallsRequests());
        var stored = await _otherInstance.GetAsync(events.ConversationUuid);
        Assert.Equal(("+447700900999", "ringing"), (stored!.AgentNumber, stored.InboundStatus));
        Assert.Equal(2, (await StoredCallRows.EventsAsync(azurite.TableService(), events.ConversationUuid)).Count);
    }

    [Theory]
    [InlineData("inserted")]
    [InlineData("replaced")]
    [InlineData("deleted")]
    public async Task A_ledger_row_changed_between_read_and_write_is_retried_with_the_companion_row(string race)
    {
        var id = TestServices.UniqueId("CON");
        var store = new CallStore(azurite.TableService(), _services.GetRequiredService<OptimisticConcurrency>(), new RecentCallRecords());
        if (race != "inserted")
        {
            await store.UpdateAsync(id, c => Set(() => c.InboundStatus = "started"));
        }

        var companion = new TableEntity(id, CallEventStore.RowKeyPrefix + "2026-03-01T12:00:00.0000000Z|leg|ringing") { ["Status"] = "ringing" };
        var attempts = 0;
        var write = await store.UpdateAsync(id, c =>
        {
            if (attempts++ == 0)
            {
                // Another writer lands after this read and before this write.
                if (race == "deleted")
                {
                    _callsTable.DeleteEntity(id, CallRecord.RowKeyValue);
                }
                else
                {
                    _callsTable.UpsertEntity(new TableEntity(id, CallRecord.RowKeyValue) { [nameof(CallRecord.AgentNumber)] = "+447700900999" }, TableUpdateMode.Merge);
                }
            }

            c.AgentStatus = "ringing";
            return true;
        }, companion);

        Assert.Equal(2, attempts);
        Assert.True(write.Added);
        var stored = await _otherInstance.GetAsync(id);
        Assert.Equal("ringing", stored!.AgentStatus);
        Assert.Equal(race == "deleted" ? null : "+447700900999", stored.AgentNumber);
        Assert.Equal("ringing", (await _callsTable.GetEntityAsync<TableEntity>(id, companion.RowKey)).Value.GetString("Status"));
    }

    [Fact]
    public async Task A_companion_row_with_no_ledger_change_is_inserted_alone()
    {
        var id = TestServices.UniqueId("CON");
        var companion = new TableEntity(id, CallEventStore.RowKeyPrefix + "notime|-|input|0011") { ["Kind"] = "Input" };

        var first = await _calls.UpdateAsync(id, _ => false, companion);
        var again = await _calls.UpdateAsync(id, _ => false, new TableEntity(id, companion.RowKey) { ["Kind"] = "Input" });

        Assert.True(first.Added);
        Assert.False(again.Added);
        Assert.Empty(await StoredCallRows.LedgerAsync(azurite.TableService(), id));
        Assert.Single(await StoredCallRows.EventsAsync(azurite.TableService(), id));
    }

    [Fact]
    public async Task Legacy_rows_in_CallEvents_are_listed_in_time_order_with_the_new_ones_and_deleted_with_them()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        await AnsweredAsync(events);
        await DeliverAsync(events.Inbound("started", 0));
        await DeliverAsync(events.Inbound("answered", 0.2));
        var ringing = Encoding.UTF8.GetBytes(events.Inbound("ringing", 0.1));
        var legacyKey = CallEventStore.RowKeyOf(CallEventParser.ParseEvent(ringing), ringing);
        await azurite.TableService().GetTableClient(StorageNames.CallEventsTable)
            .AddEntityAsync(new TableEntity(events.ConversationUuid, legacyKey) { ["Status"] = "ringing", ["Body"] = "{}" });
        var store = _services.GetRequiredService<CallEventStore>();

        var listed = await store.ListAsync(events.ConversationUuid);

        Assert.Equal(["started", "ringing", "answered"], listed.Select(r => r.GetString("Status")));
        Assert.Equal(legacyKey, listed[1].RowKey);

        Assert.Equal(3, await store.DeleteAsync(events.ConversationUuid));
        Assert.Empty(await StoredCallRows.EventsAsync(azurite.TableService(), events.ConversationUuid));
        Assert.Single(await StoredCallRows.LedgerAsync(azurite.TableService(), events.ConversationUuid)); // the ledger row is no event
    }

    [Fact]
    public async Task A_call_with_more_events_than_one_transaction_holds_is_deleted_whole()
    {
        var id = TestServices.UniqueId("CON");
        await _calls.UpdateAsync(id, c => Set(() => c.InboundStatus = "started"));
        foreach (var chunk in Enumerable.Range(0, 250).Chunk(100))
        {
            await _callsTable.SubmitTransactionAsync(chunk.Select(n => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity(id, $"{CallEventStore.RowKeyPrefix}2026-03-01T12:00:00.0000000Z|leg|{n:D3}"))));
        }

        Assert.Equal(250, await _services.GetRequiredService<CallEventStore>().DeleteAsync(id));

        Assert.Empty(await StoredCallRows.EventsAsync(azurite.TableService(), id));
        Assert.Single(await StoredCallRows.LedgerAsync(azurite.TableService(), id));
    }

    private static bool Set(Action set)
    {
        set();
        return true;
    }

    /// <summary>What a table client sent: "METHOD table" for single-entity requests (keys dropped), "POST $batch" for transactions.</summary>
    private sealed class RequestLog : HttpPipelineSynchronousPolicy
    {
        private readonly ConcurrentQueue<string> _sent = new();

        public IReadOnlyList<string> Sent => [.. _sent];

        public void Clear() => _sent.Clear();

        public override void OnSendingRequest(HttpMessage message)
        {
            var segment = message.Request.Uri.Path.TrimEnd('/').Split('/')[^1];
            var name = segment.Split('(')[0];
            _sent.Enqueue($"{message.Request.Method} {name}");
        }
    }
}

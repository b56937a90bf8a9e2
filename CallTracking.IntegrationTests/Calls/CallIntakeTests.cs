using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Calls;

/// <summary>The event and recording intake end to end in process, against Azurite (tables and the real queue).</summary>
[Collection(AzuriteCollection.Name)]
public sealed class CallIntakeTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private ServiceProvider _services = null!;
    private CallIntake _intake = null!;
    private CallStore _calls = null!;
    private QueueClient _queue = null!;

    public async Task InitializeAsync()
    {
        _services = TestServices.Create(azurite, new Dictionary<string, string?> { ["CallTracking__ProcessingDelaySeconds"] = "0" });
        _intake = _services.GetRequiredService<CallIntake>();
        _calls = _services.GetRequiredService<CallStore>();
        _queue = azurite.QueueService().GetQueueClient(StorageNames.CallsCompletedQueue);
        await _services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();

        // Tests of one collection run one at a time: start each with an empty queue so a peek sees every message.
        await _queue.ClearMessagesAsync();
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    private Task DeliverAsync(string json) => _intake.HandleEventAsync(Encoding.UTF8.GetBytes(json));

    private async Task DeliverAllAsync(IEnumerable<string> events)
    {
        foreach (var json in events)
        {
            await DeliverAsync(json);
        }
    }

    private async Task<int> MessagesForAsync(string callId)
    {
        var peeked = await _queue.PeekMessagesAsync(maxMessages: 32);
        return peeked.Value.Count(m => JsonSerializer.Deserialize<CallCompletedMessage>(m.Body.ToString())?.CallId == callId);
    }

    private async Task<List<TableEntity>> RowsAsync(string table, string partition)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in azurite.TableService().GetTableClient(table).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition}")))
        {
            rows.Add(row);
        }

        return rows;
    }

    private static CallRecord Expected(IEnumerable<string> events)
    {
        var call = new CallRecord();
        foreach (var json in events)
        {
            CallStateMachine.Apply(call, CallEventParser.ParseEvent(Encoding.UTF8.GetBytes(json)), DateTimeOffset.UtcNow);
        }

        return call;
    }

    [Fact]
    public async Task An_answered_call_sends_one_message_and_keeps_the_agent_leg_inside_the_call()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));

        await DeliverAllAsync(events.AnsweredCall());

        var call = await _calls.GetAsync(events.ConversationUuid);
        Assert.NotNull(call);
        Assert.Equal(1, await MessagesForAsync(events.ConversationUuid));
        Assert.Equal(("completed", "completed"), (call.InboundStatus, call.AgentStatus));
        Assert.Equal((events.InboundUuid, events.AgentUuid), (call.InboundLegUuid, call.AgentLegUuid));
        Assert.Equal(CallEvents.Snapshot(Expected(events.AnsweredCall())), CallEvents.Snapshot(call));
        Assert.NotNull(call.CompletedAt);
        Assert.NotNull(call.EnqueuedAt);
        Assert.NotNull(call.EnqueueClaimedAt);

        // The agent leg is no call of its own: one ledger row, keyed by the conversation, and every raw event kept.
        Assert.Single(await StoredCallRows.LedgerAsync(azurite.TableService(), events.ConversationUuid));
        Assert.Null(await _calls.GetAsync(events.AgentUuid));
        Assert.Empty(await RowsAsync(StorageNames.CallsTable, events.AgentUuid));
        Assert.Equal(8, (await StoredCallRows.EventsAsync(azurite.TableService(), events.ConversationUuid)).Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task The_same_events_twice_and_shuffled_give_the_same_ledger_and_one_message(int seed)
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        var shuffled = events.AnsweredCall().Concat(events.AnsweredCall()).ToArray();
        new Random(seed).Shuffle(shuffled);

        await DeliverAllAsync(shuffled);

        var call = await _calls.GetAsync(events.ConversationUuid);
        Assert.NotNull(call);
        Assert.Equal(CallEvents.Snapshot(Expected(events.AnsweredCall())), CallEvents.Snapshot(call));
        Assert.Equal(1, await MessagesForAsync(events.ConversationUuid));
        Assert.Equal(8, (await StoredCallRows.EventsAsync(azurite.TableService(), events.ConversationUuid)).Count);
    }

    [Theory]
    [InlineData("busy", null)]
    [InlineData("unanswered", "timeout")]
    [InlineData("timeout", null)]
    [InlineData("rejected", "declined")]
    [InlineData("failed", "cannot_route")]
    public async Task A_missed_call_reaches_its_final_state_with_the_agent_failure(string failure, string? detail)
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));

        await DeliverAllAsync(events.AgentFails(failure, detail));

        var call = await _calls.GetAsync(events.ConversationUuid);
        Assert.NotNull(call?.CompletedAt);
        Assert.Equal(failure, call.AgentStatus);
        Assert.Equal(detail, call.AgentDetail);
        Assert.Null(call.AgentAnsweredAt);
        Assert.Equal(1, await MessagesForAsync(events.ConversationUuid));
    }

    [Fact]
    public async Task A_caller_who_hangs_up_while_the_agent_rings_completes_the_call_once_both_legs_end()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        await DeliverAllAsync(
        [
            events.Inbound("started", 0), events.Inbound("answered", 0.2), events.AgentLeg("started", 1), events.AgentLeg("ringing", 1.4),
            events.Inbound("completed", 9, CallEvents.Billing(0.2, 9, "0.00066000")),
        ]);
        Assert.Equal(0, await MessagesForAsync(events.ConversationUuid)); // the agent leg is still ringing

        await DeliverAllAsync([events.AgentLeg("completed", 9.3, new() { ["duration"] = "0", ["price"] = "0" }), events.AgentLeg("cancelled", 9.2)]);

        var call = await _calls.GetAsync(events.ConversationUuid);
        Assert.Equal("cancelled", call?.AgentStatus);
        Assert.Equal(CallEvents.At(9.3), call?.CompletedAt);
        Assert.Equal(1, await MessagesForAsync(events.ConversationUuid));
    }

    [Fact]
    public async Task A_rejected_inbound_call_is_final_on_its_own()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));

        await DeliverAsync(events.Inbound("rejected", 0.1, new() { ["detail"] = "restricted" }));

        Assert.Equal("rejected", (await _calls.GetAsync(events.ConversationUuid))?.InboundStatus);
        Assert.Equal(1, await MessagesForAsync(events.ConversationUuid));
    }

    [Fact]
    public async Task Final_events_delivered_concurrently_send_one_message()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        var all = events.AnsweredCall();
        await DeliverAllAsync(all.Take(all.Count - 2));

        var finals = all.Skip(all.Count - 2).ToArray();
        await Task.WhenAll(Enumerable.Range(0, 4).SelectMany(_ => finals).Select(json => Task.Run(() => DeliverAsync(json))));

        Assert.Equal(1, await MessagesForAsync(events.ConversationUuid));
        Assert.NotNull((await _calls.GetAsync(events.ConversationUuid))?.EnqueuedAt);
    }

    [Fact]
    public async Task The_campaign_is_found_from_the_dialled_number_when_the_answer_write_is_missing()
    {
        var digits = "44207946" + Random.Shared.Next(1000, 9999);
        var campaign = new Campaign { Id = TestServices.UniqueId("c"), Name = "Radio", TrackingNumber = "+" + digits, AgentNumber = "+447700900999" };
        await _services.GetRequiredService<CampaignStore>().SaveAsync([campaign]);
        var events = new CallEvents(TestServices.UniqueId("CON"), trackingNumber: digits);

        await DeliverAllAsync(events.AnsweredCall());

        var call = await _calls.GetAsync(events.ConversationUuid);
        Assert.Equal(campaign.Id, call?.CampaignId);
        Assert.Equal(campaign.TrackingNumber, call?.TrackingNumber);
    }

    [Fact]
    public async Task A_stale_claim_without_a_sent_message_is_taken_over_by_the_next_delivery()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        await DeliverAllAsync(events.AnsweredCall());

        // As if the sender had claimed, then died before sending: a fresh claim blocks, a stale one is taken over.
        await _calls.UpdateAsync(events.ConversationUuid, c =>
        {
            c.EnqueuedAt = null;
            c.EnqueueClaimedAt = DateTimeOffset.UtcNow;
            return true;
        });
        await _queue.ClearMessagesAsync();
        await DeliverAsync(events.AnsweredCall()[^1]);
        Assert.Equal(0, await MessagesForAsync(events.ConversationUuid));

        await _calls.UpdateAsync(events.ConversationUuid, c =>
        {
            c.EnqueueClaimedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
            return true;
        });
        await DeliverAsync(events.AnsweredCall()[^1]);

        Assert.Equal(1, await MessagesForAsync(events.ConversationUuid));
        Assert.NotNull((await _calls.GetAsync(events.ConversationUuid))?.EnqueuedAt);
    }

    [Theory]
    [InlineData("""{"conversation_uuid":"{0}","status":"ringing","direction":"inbound"}""", "uuid")]
    [InlineData("""{"conversation_uuid":"{0}","status":"human"}""", "call_uuid")]
    [InlineData("""{"conversation_uuid":"{0}","uuid":"a","status":"completed","direction":"inbound","price":"n/a"}""", "price")]
    [InlineData("""{"uuid":"a","status":"completed","direction":"inbound","note":"{0}"}""", "conversation_uuid")]
    [InlineData("""{"conversation_uuid":"{0}", "status":""", "body")]
    public async Task Bad_input_is_a_validation_error_and_stores_nothing(string template, string field)
    {
        var callId = TestServices.UniqueId("CON");

        var error = await Assert.ThrowsAsync<ValidationException>(() => DeliverAsync(template.Replace("{0}", callId, StringComparison.Ordinal)));

        Assert.Equal(field, Assert.Single(error.Errors).Field);
        Assert.Null(await _calls.GetAsync(callId));
        Assert.Empty(await StoredCallRows.EventsAsync(azurite.TableService(), callId));
    }

    [Fact]
    public async Task Input_transfer_and_error_payloads_are_kept_without_touching_the_ledger()
    {
        var callId = TestServices.UniqueId("CON");

        await DeliverAsync($$"""{"conversation_uuid":"{{callId}}","uuid":"a","dtmf":{"digits":"1","timed_out":false},"timestamp":"2026-03-01T12:00:00.000Z"}""");
        await DeliverAsync($$"""{"conversation_uuid_from":"CON-x","conversation_uuid_to":"{{callId}}","uuid":"a","timestamp":"2026-03-01T12:00:01.000Z"}""");
        await DeliverAsync($$"""{"conversation_uuid":"{{callId}}","reason":"Syntax error","timestamp":"2026-03-01T12:00:02.000Z"}""");
        await DeliverAsync($$"""{"conversation_uuid":"{{callId}}","reason":"Syntax error","timestamp":"2026-03-01T12:00:02.000Z"}""");

        Assert.Null(await _calls.GetAsync(callId));
        Assert.Equal(3, (await StoredCallRows.EventsAsync(azurite.TableService(), callId)).Count);
    }

    [Fact]
    public async Task A_recording_is_attached_once_whichever_webhook_brings_it()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        var recording = Encoding.UTF8.GetBytes($$"""
            {"start_time":"2026-03-01T12:00:06.000Z","end_time":"2026-03-01T12:01:06.000Z",
             "recording_url":"https://api.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-0123456789ab","recording_uuid":"rec-1",
             "size":"482304","conversation_uuid":"{{events.ConversationUuid}}","timestamp":"2026-03-01T12:01:06.100Z"}
            """);

        await DeliverAllAsync(events.AnsweredCall());
        await _intake.HandleRecordingAsync(recording);
        var first = await _calls.GetAsync(events.ConversationUuid);
        await _intake.HandleRecordingAsync(recording);
        await _intake.HandleEventAsync(recording); // a record action without its own eventUrl reports to /event
        var again = await _calls.GetAsync(events.ConversationUuid);

        Assert.Equal("https://api.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-0123456789ab", first?.RecordingUrl);
        Assert.Equal("rec-1", first?.RecordingUuid);
        Assert.Equal(482304, first?.RecordingSizeBytes);
        Assert.Equal(CallEvents.At(6), first?.RecordingStartTime);
        Assert.Equal(first?.ETag, again?.ETag); // nothing rewritten
        Assert.Equal(1, await MessagesForAsync(events.ConversationUuid));
    }

    [Fact]
    public async Task A_bad_recording_payload_is_rejected_and_stores_nothing()
    {
        var callId = TestServices.UniqueId("CON");

        var error = await Assert.ThrowsAsync<ValidationException>(() =>
            _intake.HandleRecordingAsync(Encoding.UTF8.GetBytes($$"""{"conversation_uuid":"{{callId}}","recording_uuid":"r"}""")));

        Assert.Equal("recording_url", Assert.Single(error.Errors).Field);
        Assert.Null(await _calls.GetAsync(callId));
        Assert.Empty(await StoredCallRows.EventsAsync(azurite.TableService(), callId));
    }
}

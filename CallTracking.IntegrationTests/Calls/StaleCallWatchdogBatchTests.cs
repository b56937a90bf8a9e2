using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.Functions;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CallTracking.Tests.Calls;

/// <summary>
/// The call-start writer schedules one watchdog message per batch of starts; the watchdog checks every call in it as it
/// checked one call per message before, still reads the old one-call messages, and a failed check loses no other call.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class StaleCallWatchdogBatchTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private ServiceProvider _services = null!;
    private QueueClient _completed = null!;
    private QueueClient _watchdogQueue = null!;

    public async Task InitializeAsync()
    {
        _services = TestServices.Create(azurite,
            new Dictionary<string, string?> { ["CallTracking__ProcessingDelaySeconds"] = "0", ["CallTracking__StaleCallMinutes"] = "240" },
            services => services.AddSingleton<TimeProvider>(_clock));
        await _services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
        _completed = azurite.QueueService().GetQueueClient(StorageNames.CallsCompletedQueue);
        await _completed.ClearMessagesAsync();
        _watchdogQueue = azurite.QueueService().GetQueueClient(StorageNames.CallsWatchdogQueue);
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    private StaleCallWatchdog Watchdog => _services.GetRequiredService<StaleCallWatchdog>();

    private CallStore Calls => _services.GetRequiredService<CallStore>();

    private CallWatchdogFunction Function => new(Watchdog);

    private CallStart StartOf(string callId) =>
        new(callId, "in-" + callId, null, "+442079460000", "+447700900123", null, "unknown-number", _clock.GetUtcNow());

    private async Task DeliverAsync(IEnumerable<string> events)
    {
        var intake = _services.GetRequiredService<CallIntake>();
        foreach (var json in events)
        {
            await intake.HandleEventAsync(Encoding.UTF8.GetBytes(json));
        }
    }

    private async Task<int> CompletionMessagesForAsync(string callId)
    {
        var peeked = await _completed.PeekMessagesAsync(maxMessages: 32);
        return peeked.Value.Count(m => JsonSerializer.Deserialize<CallCompletedMessage>(m.Body.ToString())?.CallId == callId);
    }

    /// <summary>The delayed message as the queue trigger gets it: made due now, received, its JSON read as the worker binds it.</summary>
    private async Task<CallWatchdogMessage> ReceiveAsync(SendReceipt receipt)
    {
        await _watchdogQueue.UpdateMessageAsync(receipt.MessageId, receipt.PopReceipt, visibilityTimeout: TimeSpan.Zero);
        for (var attempt = 0; attempt < 50; attempt++)
        {
            foreach (var message in (await _watchdogQueue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value)
            {
                if (message.MessageId == receipt.MessageId)
                {
                    await _watchdogQueue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    return JsonSerializer.Deserialize<CallWatchdogMessage>(message.Body.ToString())!;
                }
            }
        }

        throw new InvalidOperationException("The watchdog message never became visible.");
    }

    [Fact]
    public async Task A_batch_of_call_starts_schedules_one_message_that_checks_every_call_in_it()
    {
        var open = Enumerable.Range(0, 3).Select(_ => new CallEvents(TestServices.UniqueId("CON"))).ToList();
        var completed = new CallEvents(TestServices.UniqueId("CON"));
        var before = (await _watchdogQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
        var recorder = _services.GetRequiredService<CallStartRecorder>();

        var receipts = await recorder.WriteAsync(open.Append(completed).Select(e => StartOf(e.ConversationUuid)).ToList(), CancellationToken.None);

        Assert.Equal(before + 1, (await _watchdogQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        var message = await ReceiveAsync(Assert.Single(receipts));
        Assert.Equal(open.Append(completed).Select(e => e.ConversationUuid).Order(), message.AllCallIds().Order());

        foreach (var events in open)
        {
            await DeliverAsync([events.Inbound("started", 0), events.Inbound("answered", 0.2)]); // final events never come
        }

        await DeliverAsync(completed.AnsweredCall());
        var completedRow = await Calls.UpdateAsync(completed.ConversationUuid, call =>
        {
            call.ProcessedAt = _clock.GetUtcNow(); // completed, queued and processed
            return true;
        });
        _clock.Advance(TimeSpan.FromHours(5));

        await Function.Run(message, CancellationToken.None);
        await Function.Run(message, CancellationToken.None); // redelivered: changes nothing

        foreach (var events in open)
        {
            var call = await Calls.GetAsync(events.ConversationUuid);
            Assert.NotNull(call?.ClosedByWatchdogAt);
            Assert.NotNull(call.EnqueuedAt);
            Assert.Equal(1, await CompletionMessagesForAsync(events.ConversationUuid));
        }

        Assert.Equal(completedRow.ETag, (await Calls.GetAsync(completed.ConversationUuid))?.ETag); // left alone
        Assert.Equal(1, await CompletionMessagesForAsync(completed.ConversationUuid));
    }

    [Fact]
    public async Task An_old_single_call_message_is_still_checked()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        await DeliverAsync([events.Inbound("started", 0), events.Inbound("ringing", 0.1)]);
        _clock.Advance(TimeSpan.FromHours(5));
        // As the watchdog queued it before batches (and still does for a rescheduled check).
        var json = $$"""{"callId":"{{events.ConversationUuid}}"}""";

        await Function.Run(JsonSerializer.Deserialize<CallWatchdogMessage>(json)!, CancellationToken.None);

        Assert.Equal(json, JsonSerializer.Serialize(new CallWatchdogMessage(events.ConversationUuid)));
        Assert.NotNull((await Calls.GetAsync(events.ConversationUuid))?.ClosedByWatchdogAt);
        Assert.Equal(1, await CompletionMessagesForAsync(events.ConversationUuid));
    }

    [Fact]
    public async Task A_failing_check_does_not_lose_the_other_calls_of_its_message()
    {
        var open = new CallEvents(TestServices.UniqueId("CON"));
        await DeliverAsync([open.Inbound("started", 0), open.Inbound("answered", 0.2)]);
        var later = new CallEvents(TestServices.UniqueId("CON"));
        await DeliverAsync([later.Inbound("started", 0), later.Inbound("answered", 0.2)]);
        // A row the watchdog cannot read (a date that is not one): its check fails every time until the row is mended.
        var broken = TestServices.UniqueId("CON");
        var table = azurite.TableService().GetTableClient(StorageNames.CallsTable);
        await table.AddEntityAsync(new TableEntity(broken, CallRecord.RowKeyValue) { [nameof(CallRecord.AnsweredAt)] = "not a date" });
        _clock.Advance(TimeSpan.FromHours(5));

        var retry = await Watchdog.CheckAllAsync([broken, open.ConversationUuid, later.ConversationUuid]);

        Assert.NotNull((await Calls.GetAsync(open.ConversationUuid))?.ClosedByWatchdogAt);
        Assert.NotNull((await Calls.GetAsync(later.ConversationUuid))?.ClosedByWatchdogAt);
        Assert.NotNull(retry);
        var again = await ReceiveAsync(retry);
        Assert.Equal([broken], again.AllCallIds()); // only the failed check is done again

        // Still failing, and nothing else left in its message: the queue retries it (and parks it in poison at last).
        await Assert.ThrowsAnyAsync<Exception>(() => Function.Run(again, CancellationToken.None));

        // Mended: the retried message checks it like any other call.
        await table.UpsertEntityAsync(new TableEntity(broken, CallRecord.RowKeyValue) { [nameof(CallRecord.AnsweredAt)] = _clock.GetUtcNow().AddHours(-5) }, TableUpdateMode.Replace);
        await Function.Run(again, CancellationToken.None);
        Assert.NotNull((await Calls.GetAsync(broken))?.ClosedByWatchdogAt);
    }

    [Fact]
    public async Task Replaying_one_call_from_a_poisoned_batch_message_moves_only_that_call_s_check()
    {
        var poison = azurite.QueueService().GetQueueClient(StorageNames.PoisonQueue(StorageNames.CallsWatchdogQueue));
        await poison.CreateIfNotExistsAsync();
        var ids = Enumerable.Range(0, 3).Select(_ => TestServices.UniqueId("CON")).ToList();
        await poison.SendMessageAsync(JsonSerializer.Serialize(new CallWatchdogMessage(null, ids)));

        var replay = await _services.GetRequiredService<PoisonReplayer>().ReplayAsync(StorageNames.CallsWatchdogQueue, ids[1]);

        Assert.Equal(1, replay.Moved);
        var replayed = (await _watchdogQueue.PeekMessagesAsync(32)).Value
            .Select(m => JsonSerializer.Deserialize<CallWatchdogMessage>(m.Body.ToString())!.AllCallIds())
            .Where(m => m.Intersect(ids).Any())
            .ToList();
        Assert.Equal([ids[1]], Assert.Single(replayed));
        var left = (await poison.PeekMessagesAsync(32)).Value
            .Select(m => JsonSerializer.Deserialize<CallWatchdogMessage>(m.Body.ToString())!.AllCallIds())
            .Where(m => m.Intersect(ids).Any())
            .ToList();
        Assert.Equal([ids[0], ids[2]], Assert.Single(left));
    }
}

using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CallTracking.Tests.Calls;

/// <summary>The watchdog closes calls whose final events never arrived, exactly once, and leaves every other call alone.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class StaleCallWatchdogTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private ServiceProvider _services = null!;
    private QueueClient _completed = null!;

    public async Task InitializeAsync()
    {
        _services = TestServices.Create(azurite,
            new Dictionary<string, string?> { ["CallTracking__ProcessingDelaySeconds"] = "0", ["CallTracking__StaleCallMinutes"] = "240" },
            services => services.AddSingleton<TimeProvider>(_clock));
        await _services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
        _completed = azurite.QueueService().GetQueueClient(StorageNames.CallsCompletedQueue);
        await _completed.ClearMessagesAsync();
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    private StaleCallWatchdog Watchdog => _services.GetRequiredService<StaleCallWatchdog>();

    private CallStore Calls => _services.GetRequiredService<CallStore>();

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

    [Fact]
    public async Task A_call_whose_final_events_never_came_is_closed_and_queued_once()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        await DeliverAsync([events.Inbound("started", 0), events.Inbound("answered", 0.2), events.AgentLeg("started", 1), events.AgentLeg("answered", 6)]);

        _clock.Advance(TimeSpan.FromHours(5));
        var verdict = await Watchdog.CheckAsync(events.ConversationUuid);
        var again = await Watchdog.CheckAsync(events.ConversationUuid); // a redelivered watchdog message

        Assert.Equal(StaleCallWatchdog.Verdict.Closed, verdict);
        Assert.Equal(StaleCallWatchdog.Verdict.NothingToDo, again);
        var call = await Calls.GetAsync(events.ConversationUuid);
        Assert.NotNull(call?.ClosedByWatchdogAt);
        Assert.NotNull(call.EnqueuedAt);
        Assert.Equal(CallEvents.At(6), call.CompletedAt); // the agent's answer: the last thing Vonage told us
        Assert.Equal(CallOutcome.Answered, CallOutcomeClassifier.OutcomeOf(call));
        Assert.Equal(1, await CompletionMessagesForAsync(events.ConversationUuid));
    }

    [Fact]
    public async Task Concurrent_checks_of_a_stale_call_send_one_message()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        await DeliverAsync([events.Inbound("started", 0), events.Inbound("ringing", 0.1)]);
        _clock.Advance(TimeSpan.FromHours(5));

        var verdicts = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Watchdog.CheckAsync(events.ConversationUuid)));

        Assert.Single(verdicts, v => v == StaleCallWatchdog.Verdict.Closed);
        Assert.Equal(1, await CompletionMessagesForAsync(events.ConversationUuid));
    }

    [Fact]
    public async Task A_call_still_in_progress_is_left_open_and_checked_again_later()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        await DeliverAsync([events.Inbound("started", 0), events.Inbound("answered", 0.2)]);
        var watchdogQueue = azurite.QueueService().GetQueueClient(StorageNames.CallsWatchdogQueue);
        var before = (await watchdogQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount;

        _clock.Advance(TimeSpan.FromHours(1)); // under the 4 hours since its last event (the row was written just now)
        var verdict = await Watchdog.CheckAsync(events.ConversationUuid);

        Assert.Equal(StaleCallWatchdog.Verdict.Rescheduled, verdict);
        var call = await Calls.GetAsync(events.ConversationUuid);
        Assert.Null(call?.CompletedAt);
        Assert.Null(call?.ClosedByWatchdogAt);
        Assert.Equal(0, await CompletionMessagesForAsync(events.ConversationUuid));
        Assert.Equal(before + 1, (await watchdogQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task A_call_already_queued_is_left_alone()
    {
        var events = new CallEvents(TestServices.UniqueId("CON"));
        await DeliverAsync(events.AnsweredCall());
        _clock.Advance(TimeSpan.FromHours(1)); // queued, processing not done yet (a backlog)
        var waiting = await Watchdog.CheckAsync(events.ConversationUuid);
        var processed = await Calls.UpdateAsync(events.ConversationUuid, call =>
        {
            call.ProcessedAt = _clock.GetUtcNow();
            return true;
        });
        _clock.Advance(TimeSpan.FromDays(2));

        var verdict = await Watchdog.CheckAsync(events.ConversationUuid);

        Assert.Equal(StaleCallWatchdog.Verdict.NothingToDo, waiting);
        Assert.Equal(StaleCallWatchdog.Verdict.NothingToDo, verdict);
        Assert.Equal(processed.ETag, (await Calls.GetAsync(events.ConversationUuid))?.ETag);
        Assert.Equal(1, await CompletionMessagesForAsync(events.ConversationUuid));
    }

    [Fact]
    public async Task A_call_queued_long_ago_but_never_processed_is_queued_again()
    {
        // The calls-completed message was acknowledged by storage and then lost.
        var events = new CallEvents(TestServices.UniqueId("CON"));
        await DeliverAsync(events.AnsweredCall());
        await _completed.ClearMessagesAsync();
        _clock.Advance(TimeSpan.FromHours(5));

        var verdict = await Watchdog.CheckAsync(events.ConversationUuid);

        Assert.Equal(StaleCallWatchdog.Verdict.Resent, verdict);
        Assert.Equal(1, await CompletionMessagesForAsync(events.ConversationUuid));
    }

    [Fact]
    public async Task A_final_call_whose_message_was_never_sent_is_rescued()
    {
        // The event handler claimed the send, then crashed before sending and before releasing the claim.
        var callId = TestServices.UniqueId("CON");
        await Calls.UpdateAsync(callId, call =>
        {
            call.InboundStatus = "completed";
            call.CompletedAt = _clock.GetUtcNow();
            call.EnqueueClaimedAt = _clock.GetUtcNow();
            return true;
        });
        _clock.Advance(TimeSpan.FromMinutes(2)); // past the claim timeout

        var verdict = await Watchdog.CheckAsync(callId);

        Assert.Equal(StaleCallWatchdog.Verdict.Rescued, verdict);
        Assert.Null((await Calls.GetAsync(callId))?.ClosedByWatchdogAt);
        Assert.Equal(1, await CompletionMessagesForAsync(callId));
    }

    [Fact]
    public async Task Recording_a_call_start_schedules_its_check()
    {
        var watchdogQueue = azurite.QueueService().GetQueueClient(StorageNames.CallsWatchdogQueue);
        var before = (await watchdogQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
        var recorder = _services.GetRequiredService<CallStartRecorder>();

        await recorder.WriteAsync(new CallStart(TestServices.UniqueId("CON"), "in-1", null, "+442079460000", "+447700900123", null, "unknown-number", _clock.GetUtcNow()), CancellationToken.None);

        Assert.Equal(before + 1, (await watchdogQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task An_unknown_call_is_nothing_to_do()
    {
        Assert.Equal(StaleCallWatchdog.Verdict.NothingToDo, await Watchdog.CheckAsync(TestServices.UniqueId("CON")));
    }
}

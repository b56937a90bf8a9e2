using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using CallTracking.Functions.Callbacks;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Enrichment;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Processing;
using CallTracking.Tests.Vonage;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static CallTracking.Tests.Processing.ForwardingHarness;

namespace CallTracking.Tests.Callbacks;

/// <summary>
/// Missed-call callbacks end to end on Azurite: the processing stage queues attempt 1, the dialer places it through the
/// stub Voice API (JWT checked), the attempt's own events go through the real intake, and its processing decides on
/// attempt 2; the outgoing webhook announces an exhausted callback.
/// </summary>
[Collection(AzuriteCollection.Name)]
public class MissedCallCallbackTests(AzuriteFixture azurite)
{
    private const string Hook = "/hooks/calls";
    private const string Secret = "whsec-callbacks-0a1b2c3d";

    [Fact]
    public async Task Two_attempts_are_placed_when_the_agent_does_not_answer_the_first_and_exhaustion_fires_the_webhook()
    {
        await using var world = await World.StartAsync(azurite);
        var campaign = await world.CampaignAsync(attempts: 2);
        var missed = await world.Harness.AddCallAsync(MissedCall(campaign, "timeout"));

        // The missed call's message delivered twice before attempt 1 was placed: two messages for one slot.
        await world.Harness.Processor.ProcessAsync(missed.PartitionKey);
        await world.Harness.Processor.ProcessAsync(missed.PartitionKey);
        var firsts = await world.ReceiveAllAsync(missed.PartitionKey);
        Assert.Equal(2, firsts.Count);
        Assert.All(firsts, m => Assert.Equal(1, m.Attempt));

        // Both delivered at once, and one of them once more: one POST.
        var results = await Task.WhenAll(firsts.Append(firsts[0]).Select(world.PlaceAsync));
        Assert.Single(results, r => r == CallbackResult.Placed);
        Assert.Equal(2, results.Count(r => r == CallbackResult.AlreadyClaimed));
        var create = Assert.Single(world.Voice.Server.RequestsTo("/v1/calls"));
        world.Voice.AssertSignedByApplication(create);
        var body = create.Json();
        Assert.Equal(campaign.AgentNumber[1..], body.GetProperty("to")[0].GetProperty("number").GetString());
        Assert.Equal(campaign.TrackingNumber[1..], body.GetProperty("from").GetProperty("number").GetString());
        var ncco = body.GetProperty("ncco");
        Assert.Equal("talk", ncco[0].GetProperty("action").GetString());
        Assert.Contains("returning a missed call about " + campaign.Name, ncco[0].GetProperty("text").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("connect", ncco[1].GetProperty("action").GetString());
        Assert.Equal("442071838750", ncco[1].GetProperty("endpoint")[0].GetProperty("number").GetString());
        Assert.Equal("https://calltracking.example.com/api/event", body.GetProperty("event_url")[0].GetString());

        // Attempt 1: the agent's phone rings out; nothing is connected.
        var delayedBefore = await world.QueuedCountAsync();
        await world.AgentDoesNotAnswerAsync(world.Conversation(1), world.Leg(1), campaign);
        await world.Harness.Processor.ProcessAsync(world.Conversation(1));
        var attempt1 = await world.Harness.Calls.GetAsync(world.Conversation(1));
        Assert.Equal("outbound", attempt1!.Direction);
        Assert.Equal(1, attempt1.AttemptNumber);
        Assert.Equal(missed.PartitionKey, attempt1.CallbackOf);
        Assert.NotEqual(nameof(CallOutcome.Answered), attempt1.Outcome);
        Assert.Equal(delayedBefore + 1, await world.QueuedCountAsync()); // attempt 2, invisible for the interval

        // The interval has passed: attempt 2 (its message, as the queue would deliver it, twice).
        Assert.Equal(CallbackResult.Placed, await world.PlaceAsync(new CallbackMessage(missed.PartitionKey, 2)));
        Assert.Equal(CallbackResult.AlreadyClaimed, await world.PlaceAsync(new CallbackMessage(missed.PartitionKey, 2)));
        await world.AgentDoesNotAnswerAsync(world.Conversation(2), world.Leg(2), campaign);
        await world.Harness.Processor.ProcessAsync(world.Conversation(2));
        await world.Harness.Processor.ProcessAsync(world.Conversation(2));

        Assert.Equal(2, world.Voice.Server.RequestsTo("/v1/calls").Count);
        Assert.Equal(CallbackResult.Exhausted, await world.PlaceAsync(new CallbackMessage(missed.PartitionKey, 3)));
        Assert.Equal(2, world.Voice.Server.RequestsTo("/v1/calls").Count);

        // The webhook: the missed call and attempt 1 as call.completed, attempt 2 as callback.exhausted; once each.
        var hooks = world.Hooks.RequestsTo(Hook).Select(r => r.Json()).ToList();
        Assert.Equal(3, hooks.Count);
        var exhausted = Assert.Single(hooks, h => h.GetProperty("event").GetString() == "callback.exhausted");
        Assert.Equal(world.Conversation(2), exhausted.GetProperty("id").GetString());
        Assert.Equal(2, exhausted.GetProperty("attemptNumber").GetInt32());
        Assert.Equal("outbound", exhausted.GetProperty("direction").GetString());
        Assert.Equal(missed.PartitionKey, exhausted.GetProperty("callbackOf").GetString());

        // Analytics and affiliates never see an attempt as an inbound call.
        var ledger = await world.Harness.LedgerAsync(world.Conversation(2));
        Assert.Equal(DeliveryStatus.Skipped, ledger["mixpanel"].StatusValue);
        Assert.Equal(DeliveryStatus.Skipped, ledger["impact"].StatusValue);
        Assert.Equal(DeliveryStatus.Delivered, ledger[WebhookSink.SinkName].StatusValue);

        var stats = await world.Harness.Services.GetRequiredService<CallbackStats>().ForCampaignAsync(campaign.Id, null, null, default);
        Assert.Equal([new CallbackAttemptStats(1, 1, 0, 0), new CallbackAttemptStats(2, 1, 0, 0)], stats);
    }

    [Fact]
    public async Task One_attempt_is_placed_when_the_agent_answers_and_the_caller_is_connected()
    {
        await using var world = await World.StartAsync(azurite);
        var campaign = await world.CampaignAsync(attempts: 2);
        var missed = await world.Harness.AddCallAsync(MissedCall(campaign, "unanswered"));

        await world.Harness.Processor.ProcessAsync(missed.PartitionKey);
        Assert.Equal(CallbackResult.Placed, await world.PlaceAsync(await world.ReceiveAsync(missed.PartitionKey)));

        var delayedBefore = await world.QueuedCountAsync();
        var profiles = world.Harness.Services.GetRequiredService<ICallerProfiles>();
        var callsBefore = (await profiles.GetAsync(missed.CallerNumber, default))!.CallCount;
        await world.ConnectedAsync(world.Conversation(1), world.Leg(1), campaign);
        await world.Harness.Processor.ProcessAsync(world.Conversation(1));

        // The attempt is our call to the caller, not theirs: their profile and the callers list count only the missed call.
        Assert.Equal(callsBefore, (await profiles.GetAsync(missed.CallerNumber, default))!.CallCount);
        var listed = Assert.Single((await world.Harness.Services.GetRequiredService<CallerList>().ListAsync(campaign.Id, null, 10, null, default)).Callers);
        Assert.Equal(1, listed.Calls);
        Assert.Equal(nameof(CallOutcome.Unanswered), listed.LastOutcome);

        var attempt1 = await world.Harness.Calls.GetAsync(world.Conversation(1));
        Assert.Equal(nameof(CallOutcome.Answered), attempt1!.Outcome);
        Assert.Equal(delayedBefore, await world.QueuedCountAsync()); // no attempt 2 queued
        // Even a stray attempt-2 message places nothing: the caller has been reached.
        Assert.Equal(CallbackResult.Resolved, await world.PlaceAsync(new CallbackMessage(missed.PartitionKey, 2)));
        Assert.Single(world.Voice.Server.RequestsTo("/v1/calls"));

        var stats = await world.Harness.Services.GetRequiredService<CallbackStats>().ForCampaignAsync(campaign.Id, null, null, default);
        Assert.Equal([new CallbackAttemptStats(1, 1, 1, 1)], stats);
    }

    [Fact]
    public async Task A_voice_api_500_is_not_retried_blindly_the_slot_stays_taken_and_the_next_attempt_is_queued()
    {
        await using var world = await World.StartAsync(azurite);
        world.Voice.Server.On("POST", "/v1/calls", StubResponse.Json(500, "{\"title\":\"Internal error\"}"));
        var campaign = await world.CampaignAsync(attempts: 2);
        var missed = await world.Harness.AddCallAsync(MissedCall(campaign, "timeout"));
        await world.Harness.Processor.ProcessAsync(missed.PartitionKey);
        var first = await world.ReceiveAsync(missed.PartitionKey);
        var before = await world.QueuedCountAsync();

        Assert.Equal(CallbackResult.Unknown, await world.PlaceAsync(first));
        Assert.Equal(CallbackResult.AlreadyClaimed, await world.PlaceAsync(first)); // the redelivery

        Assert.Single(world.Voice.Server.RequestsTo("/v1/calls"));
        Assert.Equal(before + 1, await world.QueuedCountAsync()); // attempt 2, after the interval
    }

    [Fact]
    public async Task No_attempt_is_placed_out_of_hours_when_only_when_open_it_waits_for_the_opening()
    {
        await using var world = await World.StartAsync(azurite);
        // Never open today or tomorrow around now: one window on a day that is not today.
        var day = DateTime.UtcNow.AddDays(3).DayOfWeek;
        var campaign = await world.CampaignAsync(attempts: 1, onlyWhenOpen: true,
            hours: new BusinessHours { TimeZone = "UTC", Windows = [new OpeningWindow(day, new TimeOnly(9, 0), new TimeOnly(17, 0))] });
        var missed = await world.Harness.AddCallAsync(MissedCall(campaign, "busy"));
        await world.Harness.Processor.ProcessAsync(missed.PartitionKey);
        var before = await world.QueuedCountAsync();

        Assert.Equal(CallbackResult.Deferred, await world.PlaceAsync(await world.ReceiveAsync(missed.PartitionKey)));

        Assert.Empty(world.Voice.Server.RequestsTo("/v1/calls"));
        Assert.Equal(before, await world.QueuedCountAsync()); // received one, re-sent it delayed
    }

    [Fact]
    public async Task Withheld_and_answered_callers_and_campaigns_without_a_policy_get_no_callback()
    {
        await using var world = await World.StartAsync(azurite);
        var withPolicy = await world.CampaignAsync(attempts: 3);
        var without = await world.Harness.CreateCampaignAsync(withImpactIds: false);
        var before = await world.QueuedCountAsync();

        await world.Harness.Processor.ProcessAsync((await world.Harness.AddCallAsync(Withheld(MissedCall(withPolicy, "timeout")))).PartitionKey);
        await world.Harness.Processor.ProcessAsync((await world.Harness.AddCallAsync(AnsweredCall(withPolicy))).PartitionKey);
        await world.Harness.Processor.ProcessAsync((await world.Harness.AddCallAsync(MissedCall(without, "timeout"))).PartitionKey);

        Assert.Equal(before, await world.QueuedCountAsync());
    }

    private static CallRecord Withheld(CallRecord call)
    {
        call.CallerNumber = null;
        return call;
    }

    private sealed class World : IAsyncDisposable
    {
        private readonly QueueClient _queue;

        private World(ForwardingHarness harness, VoiceApiStub voice, HttpStubServer hooks)
        {
            Harness = harness;
            Voice = voice;
            Hooks = hooks;
            _queue = harness.Services.GetRequiredService<QueueServiceClient>().GetQueueClient(StorageNames.CallbacksQueue);
        }

        public ForwardingHarness Harness { get; }

        public VoiceApiStub Voice { get; }

        public HttpStubServer Hooks { get; }

        public string Run { get; private init; } = "";

        public string Conversation(int attempt) => $"CON-{Run}-{attempt}";

        public string Leg(int attempt) => $"leg-{Run}-{attempt}";

        public static async Task<World> StartAsync(AzuriteFixture azurite)
        {
            var voice = await VoiceApiStub.StartAsync();
            var run = Guid.NewGuid().ToString("N")[..12];
            voice.Server.On("POST", "/v1/calls", [.. Enumerable.Range(1, 2).Select(n => StubResponse.Json(201,
                $"{{\"uuid\":\"leg-{run}-{n}\",\"status\":\"started\",\"direction\":\"outbound\",\"conversation_uuid\":\"CON-{run}-{n}\"}}"))]);
            var hooks = await HttpStubServer.StartAsync();
            hooks.On("POST", Hook, StubResponse.Json(200, "{}"));
            var settings = new Dictionary<string, string?>(voice.Settings())
            {
                ["Webhooks:Url"] = hooks.BaseUrl + Hook,
                ["Webhooks:Secret"] = Secret,
                ["CallTracking:PublicBaseUrl"] = "https://calltracking.example.com",
            };
            var harness = await ForwardingHarness.StartAsync(azurite, settings);
            var world = new World(harness, voice, hooks) { Run = run };
            await world._queue.CreateIfNotExistsAsync();
            return world;
        }

        public async Task<Campaign> CampaignAsync(int attempts, bool onlyWhenOpen = false, BusinessHours? hours = null)
        {
            var campaign = new Campaign
            {
                Id = TestServices.UniqueId("cb"),
                Name = "Spring radio ad",
                TrackingNumber = TestNumbers.SanFrancisco(),
                AgentNumber = "+14155550199",
                BusinessHours = hours,
                Callback = new CallbackPolicy { Attempts = attempts, IntervalMinutes = 1, OnlyWhenOpen = onlyWhenOpen },
            };
            await Harness.Services.GetRequiredService<CampaignStore>().SaveAsync([campaign]);
            return campaign;
        }

        public Task<CallbackResult> PlaceAsync(CallbackMessage message) =>
            Harness.Services.GetRequiredService<CallbackDialer>().PlaceAsync(message, CancellationToken.None);

        public async Task<CallbackMessage> ReceiveAsync(string callId) => Assert.Single(await ReceiveAllAsync(callId));

        /// <summary>Takes the visible callbacks messages for <paramref name="callId"/> off the queue (others' reappear in a second).</summary>
        public async Task<List<CallbackMessage>> ReceiveAllAsync(string callId)
        {
            var messages = await _queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(1));
            var mine = new List<CallbackMessage>();
            foreach (var message in messages.Value)
            {
                var body = JsonSerializer.Deserialize<CallbackMessage>(message.Body.ToString())!;
                if (body.CallId == callId)
                {
                    mine.Add(body);
                    await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                }
            }

            return mine;
        }

        /// <summary>Messages in the queue, visible or delayed.</summary>
        public async Task<int> QueuedCountAsync() => (await _queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;

        public async Task AgentDoesNotAnswerAsync(string conversation, string leg, Campaign campaign)
        {
            var intake = Harness.Services.GetRequiredService<CallIntake>();
            foreach (var status in new[] { "started", "ringing", "timeout" })
            {
                await intake.HandleEventAsync(Event(conversation, leg, status, campaign.TrackingNumber, campaign.AgentNumber, 0));
            }
        }

        public async Task ConnectedAsync(string conversation, string leg, Campaign campaign)
        {
            var intake = Harness.Services.GetRequiredService<CallIntake>();
            var callerLeg = leg + "-caller";
            await intake.HandleEventAsync(Event(conversation, leg, "started", campaign.TrackingNumber, campaign.AgentNumber, 0));
            await intake.HandleEventAsync(Event(conversation, leg, "answered", campaign.TrackingNumber, campaign.AgentNumber, 5));
            await intake.HandleEventAsync(Event(conversation, callerLeg, "started", campaign.TrackingNumber, "+442071838750", 8));
            await intake.HandleEventAsync(Event(conversation, callerLeg, "answered", campaign.TrackingNumber, "+442071838750", 12));
            await intake.HandleEventAsync(Event(conversation, callerLeg, "completed", campaign.TrackingNumber, "+442071838750", 70));
            await intake.HandleEventAsync(Event(conversation, leg, "completed", campaign.TrackingNumber, campaign.AgentNumber, 71));
        }

        private static ReadOnlyMemory<byte> Event(string conversation, string leg, string status, string from, string to, int second)
        {
            var at = DateTimeOffset.UtcNow.AddMinutes(-5).AddSeconds(second).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
            var body = new Dictionary<string, object?>
            {
                ["uuid"] = leg,
                ["conversation_uuid"] = conversation,
                ["status"] = status,
                ["direction"] = "outbound",
                ["from"] = from[1..],
                ["to"] = to[1..],
                ["timestamp"] = at,
            };
            if (status == "answered")
            {
                body["start_time"] = at;
            }

            return Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body));
        }

        public async ValueTask DisposeAsync()
        {
            await Harness.DisposeAsync();
            await Voice.DisposeAsync();
            await Hooks.DisposeAsync();
        }
    }
}

using System.Globalization;
using System.Text.Json;
using CallTracking.Simulator;
using Xunit;

namespace CallTracking.Tests.Simulator;

public class ScenarioGeneratorTests
{
    internal static readonly SimCampaign[] Campaigns =
    [
        new() { Id = "spring-radio", TrackingNumber = "+442079460001", AgentNumber = "+447700900501", RecordCalls = true, WhisperText = "Radio" },
        new() { Id = "tv-ad", TrackingNumber = "+442079460002", AgentNumber = "+447700900502", RingTimeoutSeconds = 20 },
        new() { Id = "web", TrackingNumber = "14155550100", AgentNumber = "14155550199", RecordCalls = true },
    ];

    private static readonly DateTimeOffset Epoch = new(2026, 11, 26, 1, 0, 0, TimeSpan.Zero);

    private static IReadOnlyList<SimulatedCall> Generate(int seed = 7, int calls = 500, double duplicates = 0.1, double shuffle = 0.2) =>
        new ScenarioGenerator(new GeneratorOptions
        {
            Seed = seed,
            DuplicateFraction = duplicates,
            ShuffleFraction = shuffle,
            Epoch = Epoch,
            CallsPerSecond = 20,
        }).Generate(Campaigns, calls);

    private static IEnumerable<CallPlan> Plans(SimulatedCall call) => [call.Connected, call.NotConnected];

    private static JsonElement Body(Delivery d) => JsonDocument.Parse(d.Body).RootElement;

    [Fact]
    public void Every_plan_ends_the_inbound_leg_with_exactly_one_completed_event()
    {
        foreach (var plan in Generate().SelectMany(Plans))
        {
            var inbound = plan.Timeline.Where(d => d.Kind == DeliveryKind.Event && d.Leg == CallLeg.Inbound).ToList();
            Assert.Equal("completed", inbound[^1].Status);
            Assert.Single(inbound, d => d.Status == "completed");
            Assert.Equal(["started", "ringing", "answered", "completed"], inbound.Select(d => d.Status));
        }
    }

    [Fact]
    public void Timestamps_are_monotonic_per_leg_before_shuffling_and_never_after_the_send_slot()
    {
        foreach (var call in Generate())
        {
            var slot = Epoch + TimeSpan.FromSeconds(call.Index / 20.0);
            foreach (var plan in Plans(call))
            {
                foreach (var leg in plan.Timeline.GroupBy(d => d.Leg))
                {
                    var stamps = leg.Select(d => d.Timestamp).ToList();
                    Assert.Equal(stamps.Order(), stamps);
                }

                Assert.All(plan.Timeline, d => Assert.True(d.Timestamp <= slot.AddMilliseconds(1), $"{d} after slot {slot:O}"));
                foreach (var delivery in plan.Timeline.Where(d => d.Kind != DeliveryKind.Whisper))
                {
                    var stamp = DateTimeOffset.Parse(Body(delivery).GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture);
                    Assert.Equal(delivery.Timestamp, stamp, TimeSpan.FromMilliseconds(1));
                }
            }
        }
    }

    [Fact]
    public void Deliveries_are_the_timeline_plus_duplicates_in_order_unless_shuffled()
    {
        var calls = Generate();
        foreach (var plan in calls.SelectMany(Plans))
        {
            var originals = plan.Deliveries.Where(d => !d.IsDuplicate).ToList();
            Assert.Equal(plan.Timeline.Count, originals.Count);
            Assert.All(plan.Deliveries.Where(d => d.IsDuplicate), d => Assert.Contains(plan.Timeline, t => t.Body == d.Body));
            if (!plan.Shuffled)
            {
                Assert.Equal(plan.Timeline, originals);
            }
        }

        var events = calls.Sum(c => c.Connected.Timeline.Count(d => d.Kind != DeliveryKind.Whisper));
        var duplicates = calls.Sum(c => c.Connected.Duplicates);
        Assert.InRange(duplicates, events * 0.07, events * 0.13);
        Assert.InRange(calls.Count(c => c.Connected.Shuffled), 500 * 0.14, 500 * 0.26);
    }

    [Fact]
    public void Agent_leg_shares_the_conversation_and_dials_the_agent()
    {
        foreach (var call in Generate())
        {
            var agent = call.Connected.Timeline.Where(d => d.Kind == DeliveryKind.Event && d.Leg == CallLeg.Agent).ToList();
            Assert.Equal("started", agent[0].Status);
            Assert.All(agent.Select(Body), b =>
            {
                Assert.Equal(call.ConversationUuid, b.GetProperty("conversation_uuid").GetString());
                Assert.Equal(call.AgentUuid, b.GetProperty("uuid").GetString());
                Assert.Equal("outbound", b.GetProperty("direction").GetString());
                Assert.Equal(call.Campaign.AgentDigits, b.GetProperty("to").GetString());
                Assert.Equal(call.Campaign.TrackingDigits, b.GetProperty("from").GetString());
            });
            var last = agent[^1].Status;
            Assert.Equal(call.Connected.Outcome == SimOutcome.Rejected ? "rejected" : "completed", last);
            Assert.DoesNotContain(call.NotConnected.Timeline, d => d.Leg == CallLeg.Agent);
        }
    }

    [Fact]
    public void Money_and_duration_are_strings_and_price_is_rate_times_minutes()
    {
        var completed = Generate().SelectMany(Plans).SelectMany(p => p.Timeline).Where(d => d.Status == "completed").Select(Body).ToList();
        Assert.NotEmpty(completed);
        foreach (var body in completed)
        {
            var duration = int.Parse(body.GetProperty("duration").GetString()!, CultureInfo.InvariantCulture);
            var rate = decimal.Parse(body.GetProperty("rate").GetString()!, CultureInfo.InvariantCulture);
            var price = decimal.Parse(body.GetProperty("price").GetString()!, CultureInfo.InvariantCulture);
            Assert.Matches(@"^\d\.\d{8}$", body.GetProperty("rate").GetString());
            Assert.Matches(@"^\d+\.\d{8}$", body.GetProperty("price").GetString());
            Assert.Equal(Math.Round(rate * duration / 60m, 8), price);
            Assert.Equal(JsonValueKind.String, body.GetProperty("end_time").ValueKind);
        }
    }

    [Fact]
    public void Every_outcome_occurs_with_repeat_and_withheld_callers()
    {
        var calls = Generate();
        var outcomes = calls.Select(c => c.Connected.Outcome).ToHashSet();
        Assert.Equal(Enum.GetValues<SimOutcome>().Except([SimOutcome.NotConnected, SimOutcome.AnsweredAfterHold, SimOutcome.AbandonedOnHold]).Order(), outcomes.Order());
        var talks = calls.Where(c => c.Connected.Outcome == SimOutcome.Answered).Select(c => c.Connected.TalkSeconds).ToList();
        Assert.Contains(talks, t => t < 60);
        Assert.Contains(talks, t => t >= 120);

        var withheld = calls.Where(c => c.Withheld).ToList();
        Assert.NotEmpty(withheld);
        Assert.Contains(withheld, c => c.FromField is null && !c.AnswerQuery.Any(p => p.Key == "from"));
        Assert.Contains(withheld, c => c.FromField == "Unknown");
        var callers = calls.Select(c => c.CallerDigits).OfType<string>().ToList();
        Assert.True(callers.Distinct().Count() < callers.Count, "some callers call again");
        Assert.True(callers.Distinct().Count() > callers.Count / 4, "many callers are new");
    }

    [Fact]
    public void Same_seed_gives_the_same_calls_and_another_seed_does_not()
    {
        static string Fingerprint(IReadOnlyList<SimulatedCall> calls) => string.Join("\n", calls.SelectMany(c =>
            new[] { c.ConversationUuid, c.CallerDigits ?? "-", c.Campaign.Id }
                .Concat(c.Connected.Deliveries.Select(d => Convert.ToBase64String(d.Body)))
                .Concat(c.NotConnected.Deliveries.Select(d => Convert.ToBase64String(d.Body)))));

        Assert.Equal(Fingerprint(Generate(seed: 3)), Fingerprint(Generate(seed: 3)));
        Assert.NotEqual(Fingerprint(Generate(seed: 3)), Fingerprint(Generate(seed: 4)));
    }

    [Fact]
    public void Recordings_only_for_recording_campaigns_and_only_when_the_agent_is_dialled()
    {
        foreach (var call in Generate())
        {
            var recordings = call.Connected.Timeline.Where(d => d.Kind == DeliveryKind.Recording).ToList();
            Assert.Equal(call.Campaign.RecordCalls ? 1 : 0, recordings.Count);
            foreach (var body in recordings.Select(Body))
            {
                Assert.Equal(call.ConversationUuid, body.GetProperty("conversation_uuid").GetString());
                Assert.StartsWith("https://", body.GetProperty("recording_url").GetString(), StringComparison.Ordinal);
                Assert.True(body.GetProperty("size").GetInt64() > 0);
            }

            Assert.DoesNotContain(call.NotConnected.Timeline, d => d.Kind == DeliveryKind.Recording);
        }
    }

    [Fact]
    public void Summary_counts_add_up()
    {
        var calls = Generate();
        var report = new SendReport(calls.Select(c => new CallResult(c, c.Connected, false, false,
            c.Connected.Timeline.Count(d => d.Kind == DeliveryKind.Recording), 0, c.Connected.Duplicates,
            c.Connected.Deliveries.Count + 1, 0, 0, [])).ToList(), new Dictionary<string, LatencySummary>(), TimeSpan.FromSeconds(1));

        var summary = SimulationSummary.FromJson(SimulationSummary.From(7, report).ToJson());

        Assert.Equal(500, summary.Calls);
        Assert.Equal(500, summary.Outcomes.Values.Sum());
        Assert.Equal(500, summary.Campaigns.Sum(c => c.Calls));
        Assert.All(summary.Campaigns, c => Assert.Equal(c.Calls, c.Outcomes.Values.Sum()));
        Assert.Equal(summary.Outcomes[SimOutcome.Answered], summary.Campaigns.Sum(c => c.Outcomes.GetValueOrDefault(SimOutcome.Answered)));
        Assert.Equal(calls.Sum(c => c.Connected.Timeline.Count(d => d.Kind == DeliveryKind.Event)), summary.Events);
        Assert.Equal(500, summary.CallList.Count);
        Assert.Equal(summary.Calls - summary.Callers.WithheldCalls, summary.Callers.FirstTimeCalls + summary.Callers.RepeatCalls);
        Assert.Equal(summary.Campaigns.Sum(c => c.CarrierCost), summary.CallList.Sum(c => c.CarrierCost));
        Assert.Equal(summary.Campaigns.Sum(c => c.TalkSeconds), summary.CallList.Sum(c => c.TalkSeconds));
        Assert.Equal(summary.Requests, calls.Sum(c => c.Connected.Deliveries.Count + 1));
    }
}

using System.Text;
using CallTracking.Functions.Calls;
using Xunit;

namespace CallTracking.Tests.Calls;

public class CallStateMachineTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 13, 0, 0, TimeSpan.Zero);

    private static readonly string[] AllStatuses =
    [
        "started", "ringing", "answered", "human", "machine", "busy", "cancelled", "unanswered", "timeout",
        "rejected", "failed", "completed", "disconnected", "transcribed",
    ];

    private static VonageEvent Parse(string json) => CallEventParser.ParseEvent(Encoding.UTF8.GetBytes(json));

    private static CallRecord Run(IEnumerable<string> events) => Run(events.Select(Parse));

    private static CallRecord Run(IEnumerable<VonageEvent> events)
    {
        var call = new CallRecord { PartitionKey = "CON-1" };
        foreach (var e in events)
        {
            CallStateMachine.Apply(call, e, Now);
        }

        return call;
    }

    [Theory]
    [MemberData(nameof(StatusesForBothLegs))]
    public void Every_status_on_either_leg_is_accepted_and_only_lifecycle_statuses_move_the_leg(string status, bool agentLeg)
    {
        var events = new CallEvents("CON-s");
        var json = agentLeg ? events.AgentLeg(status, 5) : events.Inbound(status, 5);
        if (status is "human" or "machine")
        {
            json = json.Replace("\"uuid\"", "\"call_uuid\"", StringComparison.Ordinal);
        }

        var call = Run([json]);

        var moves = CallStateMachine.Rank(status) > 0;
        Assert.Equal(moves ? status : null, agentLeg ? call.AgentStatus : call.InboundStatus);
        Assert.Null(agentLeg ? call.InboundLegUuid : call.AgentLegUuid); // the other leg is untouched
        Assert.Equal(agentLeg ? null : "+442079460000", call.TrackingNumber);
        Assert.Equal(!agentLeg && CallStateMachine.IsTerminal(status), call.CompletedAt is not null);
    }

    public static TheoryData<string, bool> StatusesForBothLegs()
    {
        var data = new TheoryData<string, bool>();
        foreach (var status in AllStatuses)
        {
            data.Add(status, false);
            data.Add(status, true);
        }

        return data;
    }

    [Fact]
    public void A_late_ringing_never_overrides_completed()
    {
        var events = new CallEvents("CON-late");
        var call = Run([events.Inbound("completed", 60, CallEvents.Billing(0, 60, "0.1")), events.Inbound("ringing", 61)]);

        Assert.Equal("completed", call.InboundStatus);
        Assert.Equal(CallEvents.At(60), call.InboundStatusAt);
    }

    [Fact]
    public void Ranks_decide_before_timestamps_so_clock_skew_cannot_move_a_leg_backwards()
    {
        var events = new CallEvents("CON-skew");
        var call = Run([events.AgentLeg("answered", 10), events.AgentLeg("ringing", 10.5)]);

        Assert.Equal("answered", call.AgentStatus);
    }

    [Theory]
    [InlineData("busy", null)]
    [InlineData("unanswered", "timeout")]
    [InlineData("timeout", null)]
    [InlineData("rejected", "declined")]
    [InlineData("failed", "cannot_route")]
    [InlineData("cancelled", null)]
    public void A_failed_agent_leg_keeps_its_failure_whichever_of_failure_and_completed_arrives_first(string failure, string? detail)
    {
        var events = new CallEvents("CON-f");
        var failed = events.AgentLeg(failure, 30, detail is null ? null : new() { ["detail"] = detail });
        var completed = events.AgentLeg("completed", 30.1, new() { ["duration"] = "0", ["price"] = "0" });

        var forward = Run([failed, completed]);
        var backward = Run([completed, failed]);

        Assert.Equal(failure, forward.AgentStatus);
        Assert.Equal(detail, forward.AgentDetail);
        Assert.Equal(CallEvents.Snapshot(forward), CallEvents.Snapshot(backward));
    }

    [Fact]
    public void A_duplicate_event_changes_nothing()
    {
        var events = new CallEvents("CON-dup");
        foreach (var json in events.AnsweredCall())
        {
            var call = Run(events.AnsweredCall());
            Assert.False(CallStateMachine.Apply(call, Parse(json), Now.AddHours(1)), json);
        }
    }

    [Fact]
    public void An_answered_call_keeps_both_legs_apart_with_billing_and_answer_time()
    {
        var events = new CallEvents("CON-a");
        var call = Run(events.AnsweredCall());

        Assert.Equal(events.InboundUuid, call.InboundLegUuid);
        Assert.Equal(events.AgentUuid, call.AgentLegUuid);
        Assert.Equal("completed", call.InboundStatus);
        Assert.Equal("completed", call.AgentStatus);
        Assert.Equal("+447700900123", call.CallerNumber);
        Assert.Equal("+442079460000", call.TrackingNumber);
        Assert.Equal("+447700900999", call.AgentNumber);
        Assert.Equal(CallEvents.At(6), call.AgentAnsweredAt);
        Assert.Equal(60, call.AgentDurationSeconds);
        Assert.Equal(66, call.InboundDurationSeconds);
        Assert.Equal(0.00495, call.InboundPrice);
        Assert.Equal(0.01, call.AgentPrice);
        Assert.Equal(0.0045, call.InboundRate);
        Assert.Equal("GB-FIXED", call.InboundNetwork);
        Assert.Equal(CallEvents.Start, call.InboundStartTime);
        Assert.Equal(CallEvents.At(66.2), call.CompletedAt);
    }

    [Fact]
    public void Every_order_of_an_answered_call_gives_the_same_state()
    {
        var events = new CallEvents("CON-perm");
        var expected = CallEvents.Snapshot(Run(events.AnsweredCall()));

        var count = 0;
        // Six of the eight events (both ringings left out): 720 orders keep the test cheap on a shared machine.
        var sequence = events.AnsweredCall().Where(e => !e.Contains("\"ringing\"", StringComparison.Ordinal));
        foreach (var order in Permutations(sequence.Select(Parse).ToArray()))
        {
            Assert.Equal(expected, CallEvents.Snapshot(Run(order)));
            count++;
        }

        Assert.Equal(720, count);
    }

    [Fact]
    public void Random_orders_of_every_event_delivered_twice_give_the_same_state()
    {
        var events = new CallEvents("CON-rand");
        var expected = CallEvents.Snapshot(Run(events.AnsweredCall()));
        var doubled = events.AnsweredCall().Concat(events.AnsweredCall()).Select(Parse).ToArray();

        for (var seed = 0; seed < 200; seed++)
        {
            new Random(seed).Shuffle(doubled);
            Assert.Equal(expected, CallEvents.Snapshot(Run(doubled)));
        }
    }

    [Fact]
    public void Every_order_of_a_busy_agent_call_gives_the_same_final_state()
    {
        var events = new CallEvents("CON-busy");
        var expected = Run(events.AgentFails("busy"));

        var sequence = events.AgentFails("busy").Where(e => !e.Contains("\"ringing\"", StringComparison.Ordinal));
        foreach (var order in Permutations(sequence.Select(Parse).ToArray()))
        {
            Assert.Equal(CallEvents.Snapshot(expected), CallEvents.Snapshot(Run(order)));
        }

        Assert.Equal("busy", expected.AgentStatus);
        Assert.NotNull(expected.CompletedAt);
    }

    [Fact]
    public void The_call_is_final_only_when_the_inbound_leg_and_a_started_agent_leg_are_terminal()
    {
        var events = new CallEvents("CON-final");
        var call = new CallRecord { PartitionKey = "CON-final" };

        CallStateMachine.Apply(call, Parse(events.AgentLeg("started", 1)), Now);
        CallStateMachine.Apply(call, Parse(events.Inbound("completed", 30)), Now);
        Assert.False(CallStateMachine.IsFinal(call)); // agent leg still ringing
        Assert.Null(call.CompletedAt);

        CallStateMachine.Apply(call, Parse(events.AgentLeg("cancelled", 30.2)), Now);
        Assert.True(CallStateMachine.IsFinal(call));
        Assert.Equal(CallEvents.At(30.2), call.CompletedAt);
    }

    [Fact]
    public void A_call_never_connected_to_an_agent_is_final_when_the_caller_leg_ends()
    {
        var events = new CallEvents("CON-nc");
        var call = Run([events.Inbound("started", 0), events.Inbound("answered", 0.1), events.Inbound("completed", 8)]);

        Assert.True(CallStateMachine.IsFinal(call));
        Assert.Null(call.AgentLegUuid);
    }

    [Fact]
    public void A_rejected_inbound_leg_is_final_without_completed()
    {
        var call = Run([new CallEvents("CON-rej").Inbound("rejected", 0.1, new() { ["detail"] = "restricted" })]);

        Assert.True(CallStateMachine.IsFinal(call));
    }

    [Fact]
    public void A_second_outbound_leg_is_not_taken_for_the_agent_leg()
    {
        var events = new CallEvents("CON-two");
        var other = events.AgentLeg("answered", 3).Replace(events.AgentUuid, "other-leg", StringComparison.Ordinal);
        var call = Run([events.AgentLeg("busy", 2), other]);

        Assert.Equal(events.AgentUuid, call.AgentLegUuid);
        Assert.Equal("busy", call.AgentStatus);
    }

    [Fact]
    public void Exactly_one_claim_until_it_goes_stale()
    {
        var call = Run(new CallEvents("CON-claim").AgentFails("timeout"));

        Assert.True(CallStateMachine.TryClaimEnqueue(call, Now));
        Assert.False(CallStateMachine.TryClaimEnqueue(call, Now.AddSeconds(59)));
        Assert.True(CallStateMachine.TryClaimEnqueue(call, Now.AddSeconds(61)));
        call.EnqueuedAt = Now.AddSeconds(62);
        Assert.False(CallStateMachine.TryClaimEnqueue(call, Now.AddHours(1)));
    }

    [Fact]
    public void No_claim_before_the_call_is_final()
    {
        var events = new CallEvents("CON-open");
        var call = Run([events.Inbound("answered", 1), events.AgentLeg("answered", 5)]);

        Assert.False(CallStateMachine.TryClaimEnqueue(call, Now));
    }

    [Fact]
    public void Machine_detection_results_find_their_leg_by_call_uuid()
    {
        var events = new CallEvents("CON-amd");
        var machine = $$"""{"call_uuid":"{{events.AgentUuid}}","conversation_uuid":"CON-amd","status":"machine","timestamp":"{{CallEvents.Time(7)}}","to":"447700900999"}""";
        var call = Run([events.AgentLeg("answered", 6), machine]);

        Assert.Equal("answered", call.AgentStatus);
        Assert.Equal(events.AgentUuid, Parse(machine).Uuid);
    }

    private static IEnumerable<T[]> Permutations<T>(T[] items)
    {
        // Heap's algorithm: every ordering exactly once.
        var a = (T[])items.Clone();
        var c = new int[a.Length];
        yield return (T[])a.Clone();
        var i = 0;
        while (i < a.Length)
        {
            if (c[i] < i)
            {
                var j = i % 2 == 0 ? 0 : c[i];
                (a[j], a[i]) = (a[i], a[j]);
                yield return (T[])a.Clone();
                c[i]++;
                i = 0;
            }
            else
            {
                c[i] = 0;
                i++;
            }
        }
    }
}

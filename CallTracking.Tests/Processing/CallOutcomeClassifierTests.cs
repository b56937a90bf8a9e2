using CallTracking.Functions.Calls;
using CallTracking.Functions.Processing;
using Xunit;

namespace CallTracking.Tests.Processing;

public class CallOutcomeClassifierTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);

    /// <summary>A call whose inbound leg completed after 60 s; the agent leg as given.</summary>
    private static CallRecord Call(string? agentStatus, string? detail = null, string route = "connect", bool agentLeg = true) => new()
    {
        PartitionKey = "CON-test",
        Route = route,
        InboundLegUuid = "in-1",
        InboundStatus = "completed",
        InboundStartTime = Start,
        InboundEndTime = Start.AddSeconds(60),
        InboundDurationSeconds = 60,
        InboundPrice = 0.006,
        AgentLegUuid = agentLeg ? "out-1" : null,
        AgentStatus = agentStatus,
        AgentDetail = detail,
    };

    [Theory]
    [InlineData("busy", null, CallOutcome.Busy)]
    [InlineData("timeout", null, CallOutcome.Timeout)]
    [InlineData("unanswered", "unavailable", CallOutcome.Unanswered)]
    [InlineData("unanswered", "timeout", CallOutcome.Unanswered)]
    [InlineData("unanswered", null, CallOutcome.Unanswered)]
    [InlineData("rejected", "declined", CallOutcome.Rejected)]
    [InlineData("rejected", "invalid_number", CallOutcome.Rejected)]
    [InlineData("failed", "cannot_route", CallOutcome.Failed)]
    [InlineData("FAILED", null, CallOutcome.Failed)]
    [InlineData("cancelled", null, CallOutcome.Abandoned)]
    [InlineData("ringing", null, CallOutcome.Abandoned)]
    [InlineData("started", null, CallOutcome.Abandoned)]
    [InlineData(null, null, CallOutcome.Abandoned)]
    [InlineData("answered", null, CallOutcome.Answered)]
    [InlineData("human", null, CallOutcome.Answered)]
    [InlineData("machine", null, CallOutcome.Answered)]
    public void Agent_leg_terminal_status_decides_the_outcome(string? status, string? detail, CallOutcome expected)
    {
        var result = CallOutcomeClassifier.Classify(Call(status, detail));

        Assert.Equal(expected, result.Outcome);
        if (expected != CallOutcome.Answered)
        {
            Assert.Equal(0, result.TalkSeconds);
        }

        Assert.Equal(60, result.CallSeconds);
    }

    [Theory]
    [InlineData("busy", CallOutcome.Busy)]
    [InlineData("timeout", CallOutcome.Timeout)]
    [InlineData("carrier_timeout", CallOutcome.Timeout)]
    [InlineData("unavailable", CallOutcome.Unanswered)]
    [InlineData("declined", CallOutcome.Rejected)]
    [InlineData("restricted", CallOutcome.Rejected)]
    [InlineData("number_out_of_service", CallOutcome.Failed)]
    [InlineData("internal_error", CallOutcome.Failed)]
    public void A_completed_agent_leg_that_never_answered_is_classified_by_its_detail(string detail, CallOutcome expected)
    {
        Assert.Equal(expected, CallOutcomeClassifier.Classify(Call("completed", detail)).Outcome);
    }

    [Fact]
    public void A_completed_agent_leg_without_answer_detail_or_duration_is_unanswered()
    {
        Assert.Equal(CallOutcome.Unanswered, CallOutcomeClassifier.Classify(Call("completed")).Outcome);
    }

    [Fact]
    public void A_completed_agent_leg_with_billed_duration_was_answered()
    {
        var call = Call("completed");
        call.AgentDurationSeconds = 40;

        var result = CallOutcomeClassifier.Classify(call);

        Assert.Equal(CallOutcome.Answered, result.Outcome);
        Assert.Equal(40, result.TalkSeconds);
    }

    [Fact]
    public void Answered_talk_time_is_the_agent_legs_duration_and_cost_adds_both_legs()
    {
        var call = Call("completed");
        call.AgentAnsweredAt = Start.AddSeconds(12);
        call.AgentEndTime = Start.AddSeconds(60);
        call.AgentDurationSeconds = 47;
        call.AgentPrice = 0.0047;

        var result = CallOutcomeClassifier.Classify(call);

        Assert.Equal(new CallClassification(CallOutcome.Answered, 47, 60, 0.0107m), result);
    }

    [Fact]
    public void Answered_without_agent_duration_talks_from_answer_to_end()
    {
        var call = Call("answered");
        call.AgentAnsweredAt = Start.AddSeconds(15);
        call.AgentEndTime = null; // the agent leg's completed event never came: the caller's end is used

        var result = CallOutcomeClassifier.Classify(call);

        Assert.Equal(CallOutcome.Answered, result.Outcome);
        Assert.Equal(45, result.TalkSeconds);
    }

    [Fact]
    public void The_answer_time_wins_over_a_later_failure_status()
    {
        var call = Call("failed", "internal_error");
        call.AgentAnsweredAt = Start.AddSeconds(10);
        call.AgentDurationSeconds = 30;

        Assert.Equal(CallOutcome.Answered, CallOutcomeClassifier.Classify(call).Outcome);
    }

    [Theory]
    [InlineData("out-of-hours")]
    [InlineData("unknown-number")]
    [InlineData("inactive")]
    [InlineData("fallback")]
    public void No_agent_leg_and_no_connect_route_is_not_connected(string route)
    {
        var result = CallOutcomeClassifier.Classify(Call(null, route: route, agentLeg: false));

        Assert.Equal(CallOutcome.NotConnected, result.Outcome);
        Assert.Equal(0, result.TalkSeconds);
        Assert.Equal(60, result.CallSeconds);
        Assert.Equal(0.006m, result.CarrierCost);
    }

    [Fact]
    public void A_caller_who_hangs_up_before_the_agent_is_dialled_abandoned_the_call()
    {
        Assert.Equal(CallOutcome.Abandoned, CallOutcomeClassifier.Classify(Call(null, agentLeg: false)).Outcome);
    }

    [Fact]
    public void Call_time_falls_back_to_the_inbound_legs_timestamps_and_missing_prices_cost_nothing()
    {
        var call = Call("busy");
        call.InboundDurationSeconds = null;
        call.InboundEndTime = Start.AddSeconds(21.6);
        call.InboundPrice = null;

        var result = CallOutcomeClassifier.Classify(call);

        Assert.Equal(22, result.CallSeconds);
        Assert.Equal(0m, result.CarrierCost);
    }

    [Fact]
    public void An_unknown_agent_status_without_detail_is_a_failure()
    {
        Assert.Equal(CallOutcome.Failed, CallOutcomeClassifier.Classify(Call("disconnected")).Outcome);
    }
}

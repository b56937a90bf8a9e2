using CallTracking.Functions.Calls;

namespace CallTracking.Functions.Processing;

/// <summary>What a finished call amounted to, computed from its legs.</summary>
/// <param name="TalkSeconds">Time the caller spoke with the agent (0 unless answered).</param>
/// <param name="CallSeconds">Length of the caller's (inbound) leg.</param>
/// <param name="CarrierCost">Vonage price of both legs, EUR.</param>
public sealed record CallClassification(CallOutcome Outcome, int TalkSeconds, int CallSeconds, decimal CarrierCost);

/// <summary>
/// Derives a call's <see cref="CallOutcome"/>, talk time, call time and carrier cost from the leg states the
/// event webhook recorded. Pure: no I/O, no clock.
/// </summary>
public static class CallOutcomeClassifier
{
    /// <summary>The answer NCCO's route that dials the agent (<see cref="CallRecord.Route"/>).</summary>
    public const string ConnectRoute = "connect";

    public static CallClassification Classify(CallRecord call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var outcome = OutcomeOf(call);
        var talk = outcome is CallOutcome.Answered or CallOutcome.AnsweredAfterHold ? TalkSecondsOf(call) : 0;
        var callSeconds = Seconds(call.InboundDurationSeconds, call.InboundStartTime ?? call.AnsweredAt, call.InboundEndTime);
        var cost = (ProcessedCallMapper.ToMoney(call.InboundPrice) ?? 0m) + (ProcessedCallMapper.ToMoney(call.AgentPrice) ?? 0m);
        return new CallClassification(outcome, talk, Math.Max(callSeconds, talk), cost);
    }

    public static CallOutcome OutcomeOf(CallRecord call)
    {
        var outcome = LegOutcomeOf(call);
        if (call.HoldResult == "voicemail")
        {
            return CallOutcome.Voicemail;
        }

        if (call.HoldEnteredAt is null)
        {
            return outcome;
        }

        // A caller who waited: answered after the hold, or hung up while still waiting (no transfer ended the wait).
        return outcome == CallOutcome.Answered ? CallOutcome.AnsweredAfterHold
            : call.HoldResult is null ? CallOutcome.AbandonedOnHold
            : call.HoldResult == "message" ? CallOutcome.NotConnected
            : outcome;
    }

    private static CallOutcome LegOutcomeOf(CallRecord call)
    {
        var hasAgentLeg = call.AgentLegUuid is not null || call.AgentStatus is not null;
        if (!hasAgentLeg)
        {
            // The NCCO dialled nobody (out of hours, unknown number, inactive campaign)... unless it meant to
            // connect and the caller hung up first (during the recording notice).
            return IsConnectRoute(call.Route) ? CallOutcome.Abandoned : CallOutcome.NotConnected;
        }

        if (call.AgentAnsweredAt is not null)
        {
            return CallOutcome.Answered;
        }

        return Normalize(call.AgentStatus) switch
        {
            "answered" or "human" or "machine" => CallOutcome.Answered,
            "busy" => CallOutcome.Busy,
            "timeout" => CallOutcome.Timeout,
            "unanswered" => CallOutcome.Unanswered,
            "rejected" => CallOutcome.Rejected,
            "failed" => CallOutcome.Failed,
            // cancelled: the originator (our caller) hung up while the agent's phone rang.
            "cancelled" or "started" or "ringing" or "" => CallOutcome.Abandoned,
            "completed" => CompletedWithoutAnswer(call),
            _ => FromDetail(call.AgentDetail) ?? CallOutcome.Failed,
        };
    }

    // Vonage ends most legs with 'completed', so a ledger that keeps only the last status may hold 'completed'
    // for a leg that was busy or rang out; the failure detail, or a billed duration, still tells what happened.
    private static CallOutcome CompletedWithoutAnswer(CallRecord call)
    {
        if (FromDetail(call.AgentDetail) is { } fromDetail)
        {
            return fromDetail;
        }

        return call.AgentDurationSeconds > 0 ? CallOutcome.Answered : CallOutcome.Unanswered;
    }

    private static CallOutcome? FromDetail(string? detail) => Normalize(detail) switch
    {
        "busy" => CallOutcome.Busy,
        "timeout" or "carrier_timeout" => CallOutcome.Timeout,
        "unavailable" => CallOutcome.Unanswered,
        "declined" or "restricted" or "invalid_number" => CallOutcome.Rejected,
        "cannot_route" or "number_out_of_service" or "internal_error" => CallOutcome.Failed,
        "cancelled" => CallOutcome.Abandoned,
        _ => null,
    };

    private static int TalkSecondsOf(CallRecord call)
    {
        if (call.AgentDurationSeconds is > 0 and var duration)
        {
            return duration;
        }

        // Without the agent leg's billing summary: from the answer to whichever end we know.
        return Seconds(null, call.AgentAnsweredAt, call.AgentEndTime ?? call.InboundEndTime);
    }

    private static int Seconds(int? reported, DateTimeOffset? start, DateTimeOffset? end)
    {
        if (reported is >= 0 and var value)
        {
            return value;
        }

        if (start is { } s && end is { } e && e > s)
        {
            return (int)Math.Round((e - s).TotalSeconds, MidpointRounding.AwayFromZero);
        }

        return 0;
    }

    private static bool IsConnectRoute(string? route) => string.Equals(route, ConnectRoute, StringComparison.OrdinalIgnoreCase);

    private static string Normalize(string? value) => value?.Trim().ToLowerInvariant() ?? "";
}

using CallTracking.Functions.Common;

namespace CallTracking.Functions.Calls;

/// <summary>Which leg of a call an event belongs to.</summary>
public enum LegRole
{
    /// <summary>Not a leg of this call we track (no uuid, or a second outbound leg).</summary>
    None,

    /// <summary>The caller's leg (direction <c>inbound</c>).</summary>
    Inbound,

    /// <summary>The leg our NCCO <c>connect</c> created to the agent (direction <c>outbound</c>).</summary>
    Agent,
}

/// <summary>The state of one leg, as kept in the call ledger.</summary>
public readonly record struct LegState(
    string? Uuid,
    string? Status,
    DateTimeOffset? StatusAt,
    string? Detail,
    DateTimeOffset? StartTime,
    DateTimeOffset? AnsweredAt,
    DateTimeOffset? EndTime,
    int? DurationSeconds,
    double? Price,
    double? Rate,
    string? Network);

/// <summary>
/// The call ledger's rules, free of I/O: how an event advances a call. Applying events is idempotent and
/// order-independent — every field is a deterministic merge (max by status rank, earliest start, latest end,
/// values from <c>completed</c> preferred) — so duplicates and any arrival order give the same state.
/// <para>
/// Status precedence is by <see cref="Rank"/> first and Vonage <c>timestamp</c> only between equal ranks: a leg's
/// lifecycle never goes backwards (started → ringing → answered → completed), while timestamps from different
/// Vonage components can disagree by milliseconds. A failure status (busy, timeout, ...) outranks <c>completed</c>
/// because Vonage sends both for a failed leg, in either order, and the failure is what the outcome needs.
/// </para>
/// </summary>
public static class CallStateMachine
{
    /// <summary>How long a claim to send the calls-completed message blocks others before it is taken over.</summary>
    public static readonly TimeSpan EnqueueClaimTimeout = TimeSpan.FromSeconds(60);

    /// <summary>0 for statuses that do not move a leg (human, machine, disconnected, transcribed, unknown).</summary>
    public static int Rank(string? status) => status switch
    {
        "started" => 10,
        "ringing" => 20,
        "answered" => 30,
        "completed" => 40,
        "cancelled" => 50,
        "busy" => 51,
        "unanswered" => 52,
        "timeout" => 53,
        "rejected" => 54,
        "failed" => 55,
        _ => 0,
    };

    /// <summary>The leg is over: completed, or ended without being connected.</summary>
    public static bool IsTerminal(string? status) => Rank(status) >= 40;

    /// <summary>
    /// The conversation is over: the caller's leg is terminal, and the agent leg, if one was seen, is terminal too.
    /// An agent leg whose first event arrives after this point re-opens nothing: the message is already claimed,
    /// and the processor's initial visibility delay lets those late events land before it reads the call.
    /// </summary>
    public static bool IsFinal(CallRecord call) =>
        IsTerminal(call.InboundStatus) && (call.AgentLegUuid is null || IsTerminal(call.AgentStatus));

    public static LegRole RoleOf(CallRecord call, VonageEvent e)
    {
        if (e.Uuid is null || e.Uuid == call.HoldReplacedAgentLegUuid)
        {
            return LegRole.None;
        }

        if (e.Uuid == call.InboundLegUuid)
        {
            return LegRole.Inbound;
        }

        if (e.Uuid == call.AgentLegUuid)
        {
            return LegRole.Agent;
        }

        // The answer webhook may not have written InboundLegUuid yet: the direction tells the legs apart.
        switch (e.Direction)
        {
            case "inbound":
                return call.InboundLegUuid is null ? LegRole.Inbound : LegRole.None;
            case "outbound":
                // One agent leg per call (our NCCO connects once); further outbound legs are kept only as raw events.
                return call.AgentLegUuid is null ? LegRole.Agent : LegRole.None;
        }

        // No direction (e.g. machine-detection results): recognise the leg by the number it went to.
        var to = E164.FromVonage(e.To);
        if (to is not null && call.InboundLegUuid is null && to == call.TrackingNumber)
        {
            return LegRole.Inbound;
        }

        return to is not null && call.AgentLegUuid is null && to == call.AgentNumber ? LegRole.Agent : LegRole.None;
    }

    /// <summary>True when the event is the caller's leg of a call whose campaign is not known yet.</summary>
    public static bool NeedsCampaign(CallRecord call, VonageEvent e) =>
        call.CampaignId is null && e.Kind == VonageEventKind.Status && RoleOf(call, e) == LegRole.Inbound && E164.FromVonage(e.To) is not null;

    /// <summary>
    /// Applies a status event to the call; <paramref name="campaignId"/> fills in the campaign when the answer
    /// webhook's write has not landed. Returns whether anything changed.
    /// </summary>
    public static bool Apply(CallRecord call, VonageEvent e, DateTimeOffset now, string? campaignId = null)
    {
        var changed = false;
        switch (RoleOf(call, e))
        {
            // Fields a leg does not keep in the ledger are dropped before comparing, so a duplicate changes nothing.
            case LegRole.Inbound:
                var inbound = ReadInbound(call);
                var nextInbound = ApplyToLeg(inbound with { Uuid = inbound.Uuid ?? e.Uuid }, e) with { Detail = null, AnsweredAt = null };
                if (nextInbound != inbound)
                {
                    WriteInbound(call, nextInbound);
                    changed = true;
                }

                changed |= Fill(call.TrackingNumber, E164.FromVonage(e.To), v => call.TrackingNumber = v);
                if (call.CallerErasedAt is null)
                {
                    // An erased caller's late event must not bring the number back.
                    changed |= Fill(call.CallerNumber, E164.FromVonage(e.From), v => call.CallerNumber = v);
                }

                changed |= Fill(call.CampaignId, campaignId, v => call.CampaignId = v);
                break;
            case LegRole.Agent:
                var agent = ReadAgent(call);
                var nextAgent = ApplyToLeg(agent with { Uuid = agent.Uuid ?? e.Uuid }, e) with { StartTime = null, Network = null };
                if (nextAgent != agent)
                {
                    WriteAgent(call, nextAgent);
                    changed = true;
                }

                changed |= Fill(call.AgentNumber, E164.FromVonage(e.To), v => call.AgentNumber = v);
                break;
        }

        return MarkCompleted(call, now) | changed;
    }

    /// <summary>Advances one leg by one event (pure).</summary>
    public static LegState ApplyToLeg(LegState leg, VonageEvent e)
    {
        var next = leg;
        if (Rank(e.Status) > 0 && Outranks(e.Status!, e.Timestamp, leg.Status, leg.StatusAt))
        {
            next = next with { Status = e.Status, StatusAt = e.Timestamp, Detail = e.Detail };
        }

        switch (e.Status)
        {
            case "started":
                next = next with { StartTime = Earliest(next.StartTime, e.Timestamp) };
                break;
            case "answered":
                var answeredAt = e.StartTime ?? e.Timestamp;
                next = next with
                {
                    StartTime = Earliest(next.StartTime, answeredAt),
                    AnsweredAt = Earliest(next.AnsweredAt, answeredAt),
                    Rate = next.Rate ?? e.Rate,
                    Network = next.Network ?? e.Network,
                };
                break;
            case "completed":
                // The billing summary: its values win over what answered reported.
                next = next with
                {
                    StartTime = Earliest(next.StartTime, e.StartTime),
                    EndTime = Latest(next.EndTime, e.EndTime ?? e.Timestamp),
                    DurationSeconds = e.DurationSeconds ?? next.DurationSeconds,
                    Price = e.Price ?? next.Price,
                    Rate = e.Rate ?? next.Rate,
                    Network = e.Network ?? next.Network,
                };
                break;
            default:
                if (IsTerminal(e.Status))
                {
                    next = next with { EndTime = Latest(next.EndTime, e.EndTime ?? e.Timestamp) };
                }

                break;
        }

        return next;
    }

    /// <summary>Sets <see cref="CallRecord.CompletedAt"/> (Vonage time of the last leg's end) while the call is final.</summary>
    public static bool MarkCompleted(CallRecord call, DateTimeOffset now)
    {
        if (!IsFinal(call))
        {
            return false;
        }

        var completedAt = Latest(Latest(call.InboundEndTime, call.AgentEndTime), Latest(call.InboundStatusAt, call.AgentStatusAt))
                          ?? call.CompletedAt ?? now;
        if (call.CompletedAt == completedAt)
        {
            return false;
        }

        call.CompletedAt = completedAt;
        return true;
    }

    /// <summary>
    /// Claims the right to send the call's one calls-completed message: true for exactly one writer (the claim is
    /// part of an ETag-conditional write), and again only if a claim went stale without <see cref="CallRecord.EnqueuedAt"/>.
    /// </summary>
    public static bool TryClaimEnqueue(CallRecord call, DateTimeOffset now)
    {
        if (call.CompletedAt is null || call.EnqueuedAt is not null)
        {
            return false;
        }

        if (call.EnqueueClaimedAt is { } claimed && now - claimed < EnqueueClaimTimeout)
        {
            return false;
        }

        // Whole milliseconds, so the claim compares equal after a round trip through Table Storage.
        call.EnqueueClaimedAt = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        return true;
    }

    /// <summary>
    /// Attaches a recording. One recording per call in our NCCO; should several arrive, the one that started last
    /// wins (ties by uuid), so the result does not depend on arrival order.
    /// </summary>
    public static bool AttachRecording(CallRecord call, VonageEvent recording)
    {
        if (call.CallerErasedAt is not null)
        {
            return false; // the caller's recording was erased: a late webhook does not bring it back
        }

        if (call.RecordingUuid is null || (call.RecordingUuid != recording.RecordingUuid && StartsLater(recording, call)))
        {
            call.RecordingUuid = recording.RecordingUuid;
            call.RecordingUrl = recording.RecordingUrl;
            call.RecordingStartTime = recording.StartTime;
            call.RecordingEndTime = recording.EndTime;
            call.RecordingSizeBytes = recording.RecordingSizeBytes;
            return true;
        }

        if (call.RecordingUuid != recording.RecordingUuid)
        {
            return false;
        }

        var changed = Fill(call.RecordingUrl, recording.RecordingUrl, v => call.RecordingUrl = v);
        changed |= Fill(call.RecordingStartTime, recording.StartTime, v => call.RecordingStartTime = v);
        changed |= Fill(call.RecordingEndTime, recording.EndTime, v => call.RecordingEndTime = v);
        changed |= Fill(call.RecordingSizeBytes, recording.RecordingSizeBytes, v => call.RecordingSizeBytes = v);
        return changed;
    }

    private static bool StartsLater(VonageEvent recording, CallRecord call)
    {
        var byTime = Nullable.Compare(recording.StartTime, call.RecordingStartTime);
        return byTime != 0 ? byTime > 0 : string.CompareOrdinal(recording.RecordingUuid, call.RecordingUuid) > 0;
    }

    private static bool Outranks(string status, DateTimeOffset? at, string? currentStatus, DateTimeOffset? currentAt)
    {
        var byRank = Rank(status).CompareTo(Rank(currentStatus));
        if (byRank != 0)
        {
            return byRank > 0;
        }

        var byTime = Nullable.Compare(at, currentAt);
        return byTime != 0 ? byTime > 0 : string.CompareOrdinal(status, currentStatus) > 0;
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a <= b ? a : b;

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a >= b ? a : b;

    private static bool Fill<T>(T? current, T? value, Action<T> set)
    {
        if (current is not null || value is null)
        {
            return false;
        }

        set(value);
        return true;
    }

    private static LegState ReadInbound(CallRecord c) => new(
        c.InboundLegUuid, c.InboundStatus, c.InboundStatusAt, Detail: null, c.InboundStartTime, AnsweredAt: null,
        c.InboundEndTime, c.InboundDurationSeconds, c.InboundPrice, c.InboundRate, c.InboundNetwork);

    private static void WriteInbound(CallRecord c, LegState leg)
    {
        c.InboundLegUuid = leg.Uuid;
        c.InboundStatus = leg.Status;
        c.InboundStatusAt = leg.StatusAt;
        c.InboundStartTime = leg.StartTime;
        c.InboundEndTime = leg.EndTime;
        c.InboundDurationSeconds = leg.DurationSeconds;
        c.InboundPrice = leg.Price;
        c.InboundRate = leg.Rate;
        c.InboundNetwork = leg.Network;
    }

    // The agent leg keeps no start time or network of its own in the ledger; AnsweredAt is its talk start.
    private static LegState ReadAgent(CallRecord c) => new(
        c.AgentLegUuid, c.AgentStatus, c.AgentStatusAt, c.AgentDetail, StartTime: null, c.AgentAnsweredAt,
        c.AgentEndTime, c.AgentDurationSeconds, c.AgentPrice, c.AgentRate, Network: null);

    private static void WriteAgent(CallRecord c, LegState leg)
    {
        c.AgentLegUuid = leg.Uuid;
        c.AgentStatus = leg.Status;
        c.AgentStatusAt = leg.StatusAt;
        c.AgentDetail = leg.Detail;
        c.AgentAnsweredAt = leg.AnsweredAt;
        c.AgentEndTime = leg.EndTime;
        c.AgentDurationSeconds = leg.DurationSeconds;
        c.AgentPrice = leg.Price;
        c.AgentRate = leg.Rate;
    }
}

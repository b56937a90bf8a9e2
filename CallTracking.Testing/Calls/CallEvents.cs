using System.Text.Json;
using CallTracking.Functions.Calls;

namespace CallTracking.Tests.Calls;

/// <summary>Vonage-shaped event payloads for one call: the caller's inbound leg and the agent leg our connect makes.</summary>
public sealed class CallEvents(string conversationUuid, string trackingNumber = "442079460000", string caller = "447700900123", string agent = "447700900999")
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public string ConversationUuid { get; } = conversationUuid;

    public string InboundUuid { get; } = "in-" + conversationUuid;

    public string AgentUuid { get; } = "ag-" + conversationUuid;

    public string TrackingNumber { get; } = trackingNumber;

    public string Caller { get; } = caller;

    public string Agent { get; } = agent;

    /// <summary>A status event of the inbound leg, <paramref name="second"/> seconds into the call.</summary>
    public string Inbound(string status, double second, Dictionary<string, object?>? extra = null) =>
        Json(status, InboundUuid, "inbound", Caller, TrackingNumber, second, extra);

    public string AgentLeg(string status, double second, Dictionary<string, object?>? extra = null) =>
        Json(status, AgentUuid, "outbound", TrackingNumber, Agent, second, extra);

    /// <summary>The instant <see cref="Time"/> writes (millisecond precision, as Vonage sends it).</summary>
    public static DateTimeOffset At(double second) => DateTimeOffset.Parse(Time(second), System.Globalization.CultureInfo.InvariantCulture);

    public static string Time(double second) => Start.AddSeconds(second).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A completed event with Vonage's billing summary (numbers as strings, as Vonage sends them).</summary>
    public static Dictionary<string, object?> Billing(double from, double to, string price, string rate = "0.00450000") => new()
    {
        ["start_time"] = Time(from),
        ["end_time"] = Time(to),
        ["duration"] = ((int)(to - from)).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["price"] = price,
        ["rate"] = rate,
        ["network"] = "GB-FIXED",
    };

    /// <summary>Every event of a call the agent answers and talks on for a minute.</summary>
    public IReadOnlyList<string> AnsweredCall() =>
    [
        Inbound("started", 0),
        Inbound("ringing", 0.1),
        Inbound("answered", 0.2, new() { ["start_time"] = Time(0.2), ["rate"] = null, ["network"] = null }),
        AgentLeg("started", 1),
        AgentLeg("ringing", 1.5),
        AgentLeg("answered", 6, new() { ["start_time"] = Time(6), ["rate"] = "0.01000000", ["network"] = "23410" }),
        AgentLeg("completed", 66, Billing(6, 66, "0.01000000", "0.01000000")),
        Inbound("completed", 66.2, Billing(0.2, 66.2, "0.00495000")),
    ];

    /// <summary>The agent leg ends in <paramref name="failure"/> (busy, unanswered, timeout, rejected, failed, cancelled).</summary>
    public IReadOnlyList<string> AgentFails(string failure, string? detail = null) =>
    [
        Inbound("started", 0),
        Inbound("answered", 0.2, new() { ["start_time"] = Time(0.2) }),
        AgentLeg("started", 1),
        AgentLeg("ringing", 1.5),
        AgentLeg(failure, 31, detail is null ? null : new() { ["detail"] = detail }),
        AgentLeg("completed", 31.1, new() { ["duration"] = "0", ["price"] = "0", ["rate"] = "0.01000000" }),
        Inbound("completed", 31.5, Billing(0.2, 31.5, "0.00240000")),
    ];

    private string Json(string status, string uuid, string direction, string from, string to, double second, Dictionary<string, object?>? extra)
    {
        var payload = new Dictionary<string, object?>
        {
            ["from"] = from,
            ["to"] = to,
            ["uuid"] = uuid,
            ["conversation_uuid"] = ConversationUuid,
            ["status"] = status,
            ["direction"] = direction,
            ["timestamp"] = Time(second),
        };
        foreach (var (key, value) in extra ?? [])
        {
            payload[key] = value;
        }

        return JsonSerializer.Serialize(payload);
    }

    /// <summary>The ledger fields events decide (not the enqueue bookkeeping), as comparable text.</summary>
    public static string Snapshot(CallRecord c) => JsonSerializer.Serialize(new
    {
        c.CampaignId,
        c.TrackingNumber,
        c.CallerNumber,
        c.AgentNumber,
        c.InboundLegUuid,
        c.InboundStatus,
        c.InboundStatusAt,
        c.InboundStartTime,
        c.InboundEndTime,
        c.InboundDurationSeconds,
        c.InboundPrice,
        c.InboundRate,
        c.InboundNetwork,
        c.AgentLegUuid,
        c.AgentStatus,
        c.AgentStatusAt,
        c.AgentDetail,
        c.AgentAnsweredAt,
        c.AgentEndTime,
        c.AgentDurationSeconds,
        c.AgentPrice,
        c.AgentRate,
        c.CompletedAt,
    });
}

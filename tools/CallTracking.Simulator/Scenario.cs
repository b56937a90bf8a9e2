using System.Text.Json.Serialization;

namespace CallTracking.Simulator;

/// <summary>How a simulated call ends (the names CallTracking's <c>CallOutcome</c> uses, camelCase on the wire).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SimOutcome>))]
public enum SimOutcome
{
    Answered,
    Busy,
    Unanswered,
    Timeout,
    Rejected,
    Failed,
    Abandoned,
    NotConnected,

    /// <summary>Found the agent busy, waited on hold, then was transferred and answered (<c>--hold-share</c>).</summary>
    AnsweredAfterHold,

    /// <summary>Found the agent busy and hung up while on hold.</summary>
    AbandonedOnHold,
}

public enum CallLeg
{
    Inbound,
    Agent,
}

public enum DeliveryKind
{
    /// <summary>POST to the event URL.</summary>
    Event,

    /// <summary>POST to the record action's event URL.</summary>
    Recording,

    /// <summary>GET of the connect endpoint's <c>onAnswer</c> URL once the agent picks up.</summary>
    Whisper,
}

/// <summary>One request Vonage would make after the answer webhook. <see cref="Timestamp"/> is the truthful event time.</summary>
public sealed record Delivery(
    DeliveryKind Kind,
    CallLeg Leg,
    string Status,
    DateTimeOffset Timestamp,
    byte[] Body,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    bool IsDuplicate = false)
{
    public override string ToString() => $"{Kind} {Leg} {Status} @{Timestamp:HH:mm:ss.fff}{(IsDuplicate ? " (dup)" : "")}";
}

/// <summary>
/// One way the call can go. <see cref="Timeline"/> is every distinct request in time order;
/// <see cref="Deliveries"/> is what is actually sent, in sending order (duplicates added, maybe shuffled).
/// </summary>
public sealed record CallPlan(
    SimOutcome Outcome,
    IReadOnlyList<Delivery> Timeline,
    IReadOnlyList<Delivery> Deliveries,
    int CallSeconds,
    int TalkSeconds,
    decimal InboundPrice,
    decimal AgentPrice,
    bool Shuffled)
{
    public decimal CarrierCost => InboundPrice + AgentPrice;

    public int Duplicates => Deliveries.Count(d => d.IsDuplicate);
}

/// <summary>
/// A simulated inbound call with both of its possible plans: <see cref="Connected"/> when the answer NCCO connects
/// the agent, <see cref="NotConnected"/> when it does not (out of hours, unknown number, inactive campaign).
/// </summary>
public sealed record SimulatedCall
{
    public required int Index { get; init; }

    public required SimCampaign Campaign { get; init; }

    public required string ConversationUuid { get; init; }

    public required string InboundUuid { get; init; }

    public required string AgentUuid { get; init; }

    /// <summary>The caller's digits; null when withheld.</summary>
    public required string? CallerDigits { get; init; }

    /// <summary>What Vonage puts in <c>from</c>: the digits, "Unknown", or null (field absent).</summary>
    public required string? FromField { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The answer request's query string, in Vonage's order.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> AnswerQuery { get; init; }

    public required CallPlan Connected { get; init; }

    public required CallPlan NotConnected { get; init; }

    public bool Withheld => CallerDigits is null;
}

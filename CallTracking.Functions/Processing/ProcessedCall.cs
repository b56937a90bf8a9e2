namespace CallTracking.Functions.Processing;

/// <summary>
/// A finished call with its processing results: what reporting, forwarding and the outgoing data read. Immutable, money
/// in decimal EUR. Only <see cref="ProcessedCallMapper"/> builds one from the call's ledger row (the storage shape),
/// so every consumer sees the same outcome, start and costs for a call.
/// </summary>
public sealed record ProcessedCall
{
    /// <summary>Vonage's conversation uuid.</summary>
    public required string CallId { get; init; }

    /// <summary>Null when the dialled number belonged to no campaign.</summary>
    public string? CampaignId { get; init; }

    /// <summary>The number the caller dialled (E.164).</summary>
    public string? TrackingNumber { get; init; }

    /// <summary>The caller (E.164); null when withheld.</summary>
    public string? CallerNumber { get; init; }

    /// <summary>The agent number the answer NCCO connected to (E.164).</summary>
    public string? AgentNumber { get; init; }

    /// <summary>What the answer NCCO did: connect, out-of-hours, unknown-number, inactive, fallback.</summary>
    public string? Route { get; init; }

    /// <summary>
    /// When the call started (UTC): the caller's leg start, else when our answer webhook ran, else when the call
    /// completed, else, for a ledger row that never learnt any of them, when it was processed. Reports bucket the call
    /// by it; analytics deduplicate on it, so it must come out the same on every retry.
    /// </summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When the conversation reached its final state.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The caller's inbound leg.</summary>
    public required CallLeg CallerLeg { get; init; }

    /// <summary>The leg our NCCO's <c>connect</c> created to the agent (all empty when nobody was dialled).</summary>
    public required CallLeg AgentLeg { get; init; }

    public string? RecordingUrl { get; init; }

    public required CallOutcome Outcome { get; init; }

    /// <summary>Time the caller spoke with the agent (0 unless answered).</summary>
    public int TalkSeconds { get; init; }

    /// <summary>Length of the caller's leg.</summary>
    public int CallSeconds { get; init; }

    /// <summary>Seconds the caller waited in the hold queue (0: never held).</summary>
    public int HoldSeconds { get; init; }

    /// <summary>Vonage's price of both legs, EUR.</summary>
    public decimal CarrierCost { get; init; }

    /// <summary>Null when unknown (a withheld caller, or no caller profiles).</summary>
    public bool? FirstTimeCaller { get; init; }

    /// <summary>ISO 3166-1 alpha-2, from enrichment.</summary>
    public string? CallerCountry { get; init; }

    public string? CallerRegion { get; init; }

    public string? CallerCarrier { get; init; }

    /// <summary>mobile, landline, voip, toll-free, premium, unknown.</summary>
    public string? CallerLineType { get; init; }

    /// <summary>Who answered the caller lookup; null when the call was not enriched.</summary>
    public string? EnrichmentProvider { get; init; }

    /// <summary>What this call's caller lookup cost, EUR (0 when cached, offline or not enriched).</summary>
    public decimal EnrichmentCost { get; init; }

    public required DateTimeOffset ProcessedAt { get; init; }

    /// <summary>"outbound" for a missed-call callback attempt; null for an inbound call.</summary>
    public string? Direction { get; init; }

    /// <summary>The callback attempt (1-based) this outbound call is; null for inbound calls.</summary>
    public int? AttemptNumber { get; init; }

    /// <summary>The missed inbound call this callback attempt returns.</summary>
    public string? CallbackOf { get; init; }
}

/// <summary>One leg of the conversation as the event webhook recorded it. Vonage reports some values on one kind of leg only; the others stay null.</summary>
public sealed record CallLeg
{
    public string? Uuid { get; init; }

    /// <summary>The last status Vonage reported (e.g. <c>completed</c>, <c>busy</c>).</summary>
    public string? Status { get; init; }

    /// <summary>Detail of a failed leg (e.g. <c>declined</c>, <c>cannot_route</c>).</summary>
    public string? Detail { get; init; }

    public DateTimeOffset? StartTime { get; init; }

    public DateTimeOffset? AnsweredAt { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    /// <summary>Billed seconds, from the <c>completed</c> event.</summary>
    public int? DurationSeconds { get; init; }

    /// <summary>EUR, from the <c>completed</c> event.</summary>
    public decimal? Price { get; init; }

    /// <summary>EUR per minute.</summary>
    public decimal? Rate { get; init; }

    public string? Network { get; init; }
}

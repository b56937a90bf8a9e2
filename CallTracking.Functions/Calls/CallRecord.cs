using Azure;
using Azure.Data.Tables;

namespace CallTracking.Functions.Calls;

/// <summary>
/// One inbound call in the call ledger (table <c>Calls</c>), keyed by Vonage's <c>conversation_uuid</c>
/// (PartitionKey = conversation uuid, RowKey = <see cref="RowKeyValue"/>). Both legs share the conversation:
/// the caller's inbound leg and the agent leg our NCCO <c>connect</c> creates are kept apart in one row,
/// so the agent leg is never a call of its own.
/// Written by the answer webhook (first state), the event and recording webhooks (leg states), and the
/// <c>ProcessCompletedCall</c> queue function (outcome, enrichment; the <c>Processed*</c> fields).
/// </summary>
public sealed class CallRecord : ITableEntity
{
    public const string RowKeyValue = "call";

    /// <summary>The conversation uuid (the call id).</summary>
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = RowKeyValue;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    // --- Set when the call is answered (answer webhook) ---
    public string? CampaignId { get; set; }

    /// <summary>The number the caller dialled (E.164 with '+').</summary>
    public string? TrackingNumber { get; set; }

    /// <summary>The caller (E.164 with '+'); null when withheld.</summary>
    public string? CallerNumber { get; set; }

    /// <summary>The agent number the NCCO connected to (E.164 with '+').</summary>
    public string? AgentNumber { get; set; }

    /// <summary>What the answer NCCO did: connect, out-of-hours, unknown-number, inactive, fallback.</summary>
    public string? Route { get; set; }

    public DateTimeOffset? AnsweredAt { get; set; }

    // --- Inbound (caller) leg, advanced by the event webhook ---
    public string? InboundLegUuid { get; set; }

    public string? InboundStatus { get; set; }

    /// <summary>Vonage <c>timestamp</c> of the event that set <see cref="InboundStatus"/>.</summary>
    public DateTimeOffset? InboundStatusAt { get; set; }

    public DateTimeOffset? InboundStartTime { get; set; }

    public DateTimeOffset? InboundEndTime { get; set; }

    /// <summary>Seconds, from the <c>completed</c> event's <c>duration</c>.</summary>
    public int? InboundDurationSeconds { get; set; }

    /// <summary>EUR, from the <c>completed</c> event's <c>price</c>.</summary>
    public double? InboundPrice { get; set; }

    /// <summary>EUR per minute, from <c>rate</c>.</summary>
    public double? InboundRate { get; set; }

    public string? InboundNetwork { get; set; }

    // --- Agent (connect) leg ---
    public string? AgentLegUuid { get; set; }

    public string? AgentStatus { get; set; }

    public DateTimeOffset? AgentStatusAt { get; set; }

    /// <summary>Detail of a failed agent leg (e.g. <c>timeout</c>, <c>declined</c>, <c>cannot_route</c>).</summary>
    public string? AgentDetail { get; set; }

    public DateTimeOffset? AgentAnsweredAt { get; set; }

    public DateTimeOffset? AgentEndTime { get; set; }

    public int? AgentDurationSeconds { get; set; }

    public double? AgentPrice { get; set; }

    public double? AgentRate { get; set; }

    /// <summary>When the call started, as far as the ledger knows: the caller's leg start, else the answer, else the completion.</summary>
    public DateTimeOffset? KnownStartTime() => InboundStartTime ?? AnsweredAt ?? CompletedAt;

    /// <summary>Forgets the agent leg's id and state (not its charge): the leg was set aside or filed as another leg.</summary>
    public void ClearAgentLegState()
    {
        AgentLegUuid = null;
        AgentStatus = null;
        AgentStatusAt = null;
        AgentDetail = null;
        AgentAnsweredAt = null;
        AgentEndTime = null;
        AgentDurationSeconds = null;
    }

    // --- Recording ---
    public string? RecordingUrl { get; set; }

    public string? RecordingUuid { get; set; }

    public DateTimeOffset? RecordingStartTime { get; set; }

    public DateTimeOffset? RecordingEndTime { get; set; }

    public long? RecordingSizeBytes { get; set; }

    /// <summary>Our copy in container <c>recordings</c> (<c>campaign/yyyy/MM/call.ext</c>); null until archived.</summary>
    public string? RecordingBlob { get; set; }

    public string? RecordingContentType { get; set; }

    public DateTimeOffset? RecordingArchivedAt { get; set; }

    // --- Erasure of the caller's data (DELETE /api/callers/{number}) ---
    /// <summary>Set when the caller's data was erased: the row stays (aggregates, late events) without the number.</summary>
    public DateTimeOffset? CallerErasedAt { get; set; }

    /// <summary>The irreversible keyed hash that replaced <see cref="CallerNumber"/> (Privacy/CallerTokens).</summary>
    public string? CallerToken { get; set; }

    // --- Completion: exactly one calls-completed message per call ---
    /// <summary>When the conversation reached its final state.</summary>
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>
    /// When an event handler claimed the right to send the calls-completed message (ETag-conditional write, before
    /// the send). A claim without <see cref="EnqueuedAt"/> older than a minute is taken over by the next event.
    /// </summary>
    public DateTimeOffset? EnqueueClaimedAt { get; set; }

    /// <summary>When the calls-completed message was sent; set with an ETag-conditional update.</summary>
    public DateTimeOffset? EnqueuedAt { get; set; }

    /// <summary>
    /// Set when the watchdog closed the call because its final events never arrived: the outcome and durations
    /// then come from whatever the ledger had (<see cref="StaleCallWatchdog"/>).
    /// </summary>
    public DateTimeOffset? ClosedByWatchdogAt { get; set; }

    // --- Results of ProcessCompletedCall ---
    /// <summary>A <c>CallOutcome</c> name (Processing/CallOutcome.cs).</summary>
    public string? Outcome { get; set; }

    public int? TalkSeconds { get; set; }

    public int? CallSeconds { get; set; }

    /// <summary>Carrier cost of both legs, EUR.</summary>
    public double? CarrierCost { get; set; }

    public bool? FirstTimeCaller { get; set; }

    public string? CallerCountry { get; set; }

    public string? CallerRegion { get; set; }

    public string? CallerCarrier { get; set; }

    /// <summary>mobile, landline, voip, toll-free, premium, unknown.</summary>
    public string? CallerLineType { get; set; }

    public string? EnrichmentProvider { get; set; }

    /// <summary>What the enrichment lookup cost, EUR (0 when cached or offline).</summary>
    public double? EnrichmentCost { get; set; }

    public DateTimeOffset? ProcessedAt { get; set; }

    // --- Hold queue (HoldQueue/): set when the caller waited for a busy agent ---
    /// <summary>When the caller first joined the agent's wait list.</summary>
    public DateTimeOffset? HoldEnteredAt { get; set; }

    /// <summary>When the wait ended by a transfer (to the agent, voicemail or the message); absent: hung up waiting.</summary>
    public DateTimeOffset? HoldEndedAt { get; set; }

    /// <summary>transferred, voicemail or message (what ended the wait); absent while waiting or when abandoned.</summary>
    public string? HoldResult { get; set; }

    /// <summary>A failed agent leg set aside when the caller was transferred to the agent from the hold queue.</summary>
    public string? HoldReplacedAgentLegUuid { get; set; }
    /// <summary>"outbound" for a missed-call callback attempt (Callbacks/); null (inbound) for every other call.</summary>
    public string? Direction { get; set; }

    /// <summary>Which attempt (1-based) of the callback this outbound call is; null for inbound calls.</summary>
    public int? AttemptNumber { get; set; }

    /// <summary>The missed inbound call this callback attempt returns.</summary>
    public string? CallbackOf { get; set; }
}

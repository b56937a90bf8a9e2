namespace CallTracking.Functions.Calls;

/// <summary>What kind of payload arrived on the event webhook.</summary>
public enum VonageEventKind
{
    /// <summary>A call status (started, ringing, answered, completed, ...); carries a leg uuid.</summary>
    Status,

    /// <summary>A recording is ready (<c>recording_url</c>).</summary>
    Record,

    /// <summary>DTMF or speech input.</summary>
    Input,

    /// <summary>The leg moved between conversations.</summary>
    Transfer,

    /// <summary>An error report (<c>reason</c>).</summary>
    Error,

    /// <summary>Anything else (e.g. a notify payload).</summary>
    Other,
}

/// <summary>
/// One event-webhook payload, parsed from Vonage's snake_case JSON with numbers normalised
/// (<c>duration</c>, <c>price</c>, <c>rate</c> arrive as strings).
/// </summary>
public sealed record VonageEvent
{
    public required VonageEventKind Kind { get; init; }

    public required string ConversationUuid { get; init; }

    /// <summary>
    /// The conversation Vonage reported, when <see cref="ConversationUuid"/> was joined to an earlier call (a leg moved
    /// by a transfer lives in a new conversation); null when the two are the same.
    /// </summary>
    public string? LegConversationUuid { get; init; }

    /// <summary>The leg id: <c>uuid</c>, or <c>call_uuid</c> on human/machine events.</summary>
    public string? Uuid { get; init; }

    /// <summary>Lower-case status, for <see cref="VonageEventKind.Status"/> payloads.</summary>
    public string? Status { get; init; }

    /// <summary><c>inbound</c> (the caller's leg) or <c>outbound</c> (a leg we created, i.e. the agent leg).</summary>
    public string? Direction { get; init; }

    public string? From { get; init; }

    public string? To { get; init; }

    public DateTimeOffset? Timestamp { get; init; }

    public DateTimeOffset? StartTime { get; init; }

    public DateTimeOffset? EndTime { get; init; }

    public int? DurationSeconds { get; init; }

    public double? Price { get; init; }

    public double? Rate { get; init; }

    public string? Network { get; init; }

    /// <summary>Why a leg failed (<c>unanswered</c>, <c>rejected</c>, <c>failed</c>).</summary>
    public string? Detail { get; init; }

    public string? RecordingUrl { get; init; }

    public string? RecordingUuid { get; init; }

    public long? RecordingSizeBytes { get; init; }
}

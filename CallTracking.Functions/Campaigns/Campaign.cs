using System.Text.Json.Serialization;

namespace CallTracking.Functions.Campaigns;

/// <summary>
/// A marketing campaign: one tracking number that rings one agent. All numbers are E.164 with '+'
/// (normalised by <see cref="CampaignValidator"/> before anything is stored).
/// </summary>
public sealed record Campaign
{
    /// <summary>Lower-case slug: letters, digits and '-', 1–64 characters.</summary>
    public required string Id { get; init; }

    public required string Name { get; init; }

    /// <summary>The Vonage virtual number callers dial; unique across campaigns.</summary>
    public required string TrackingNumber { get; init; }

    /// <summary>The number the caller is connected to.</summary>
    public required string AgentNumber { get; init; }

    public bool IsActive { get; init; } = true;

    /// <summary>Played to the caller before anything else (e.g. "this call may be recorded").</summary>
    public RecordingNotice? RecordingNotice { get; init; }

    public bool RecordCalls { get; init; }

    /// <summary>Spoken to the agent when they pick up, before the caller is connected.</summary>
    public string? WhisperText { get; init; }

    /// <summary>When absent the campaign is always open.</summary>
    public BusinessHours? BusinessHours { get; init; }

    public OutOfHours? OutOfHours { get; init; }

    /// <summary>Per-campaign number to try when the campaign is inactive; else the global fallback.</summary>
    public string? FallbackNumber { get; init; }

    public ImpactIds? Impact { get; init; }

    /// <summary>Media spend per month, in the account currency, for cost-per-call reporting.</summary>
    public decimal? MonthlySpend { get; init; }

    /// <summary>Ring time before the agent leg gives up, seconds.</summary>
    public int RingTimeoutSeconds { get; init; } = 30;

    /// <summary>When set, a caller who finds the agent busy waits on hold instead (HoldQueue/); absent: ring as before.</summary>
    public WhenBusy? WhenBusy { get; init; }

    /// <summary>
    /// Without <see cref="WhenBusy"/>: a connect nobody answers ends in the hold queue's voicemail or message
    /// (the connect is synchronous); absent: the caller hears the failed connect as before.
    /// </summary>
    public WhenUnanswered? WhenUnanswered { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>This campaign's own outgoing callback target (absolute https), besides the global <c>Webhooks__Url</c>.</summary>
    public string? CallbackUrl { get; init; }

    /// <summary>When set, missed calls are called back (Callbacks/); absent: never.</summary>
    public CallbackPolicy? Callback { get; init; }
}

/// <summary>Missed-call callbacks: up to <see cref="Attempts"/> calls, <see cref="IntervalMinutes"/> apart.</summary>
public sealed record CallbackPolicy
{
    public int Attempts { get; init; } = 1;

    public int IntervalMinutes { get; init; } = 15;

    /// <summary>No attempt outside the campaign's business hours (it waits for the next opening).</summary>
    public bool OnlyWhenOpen { get; init; } = true;
}

/// <summary>Either an audio file (<c>stream</c>) or text-to-speech (<c>talk</c>).</summary>
public sealed record RecordingNotice
{
    public string? AudioUrl { get; init; }

    public string? Text { get; init; }

    /// <summary>BCP-47 language for text-to-speech.</summary>
    public string? Language { get; init; }
}

public sealed record BusinessHours
{
    /// <summary>IANA time zone id, e.g. "Europe/London".</summary>
    public required string TimeZone { get; init; }

    public IReadOnlyList<OpeningWindow> Windows { get; init; } = [];

    /// <summary>Whole days closed (holidays), as local dates in <see cref="TimeZone"/>.</summary>
    public IReadOnlyList<DateOnly> ClosedDates { get; init; } = [];
}

/// <summary>Open on <see cref="Day"/> from <see cref="Open"/> to <see cref="Close"/> (local time, close exclusive).</summary>
public sealed record OpeningWindow(DayOfWeek Day, TimeOnly Open, TimeOnly Close);

[JsonConverter(typeof(JsonStringEnumConverter<OutOfHoursAction>))]
public enum OutOfHoursAction
{
    Message,
    Voicemail,
    Forward,
}

public sealed record OutOfHours
{
    public OutOfHoursAction Action { get; init; } = OutOfHoursAction.Message;

    public string? Message { get; init; }

    /// <summary>For <see cref="OutOfHoursAction.Forward"/>.</summary>
    public string? ForwardNumber { get; init; }
}

/// <summary>impact.com ids; when present, calls are reported to the Call Data API.</summary>
public sealed record ImpactIds(long CampaignId, long MediaId, long ActionTrackerId)
{
    /// <summary>Passed through as the Call Data API's optional fields of the same name (≤ 64 characters).</summary>
    public string? SubId1 { get; init; }

    public string? SubId2 { get; init; }

    public string? SubId3 { get; init; }

    /// <summary>The hosted ad the caller came from (impact's integer <c>AdId</c>).</summary>
    public long? AdId { get; init; }

    /// <summary>Describes the tracking number to impact (<c>PromoNumberDescription</c>).</summary>
    public string? PromoNumberDescription { get; init; }

    /// <summary>The referring media source (<c>TrafficSource</c>).</summary>
    public string? TrafficSource { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<WhenBusyThen>))]
public enum WhenBusyThen
{
    Voicemail,
    Message,
}

/// <summary>The hold queue: a message, hold music in a loop, a transfer when the agent frees, else <see cref="Then"/>.</summary>
public sealed record WhenBusy
{
    /// <summary>Absolute https URL of an mp3 or wav, streamed in a loop while the caller waits.</summary>
    public required string HoldMusicUrl { get; init; }

    public string? Message { get; init; }

    public int MaxWaitSeconds { get; init; } = 300;

    public WhenBusyThen Then { get; init; } = WhenBusyThen.Voicemail;

    /// <summary>Spoken when <see cref="Then"/> is <see cref="WhenBusyThen.Message"/> (or before the voicemail beep).</summary>
    public string? ThenMessage { get; init; }
}

/// <summary>What a caller whose connect is not answered gets (in opening hours, without a hold queue).</summary>
public sealed record WhenUnanswered
{
    public WhenBusyThen Then { get; init; } = WhenBusyThen.Voicemail;

    /// <summary>Spoken when <see cref="Then"/> is <see cref="WhenBusyThen.Message"/> (or before the voicemail beep).</summary>
    public string? ThenMessage { get; init; }
}

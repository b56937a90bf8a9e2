namespace CallTracking.Functions.Campaigns;

/// <summary>
/// A campaign as an API client sends it (camelCase of <see cref="Campaign"/>). Everything is optional and loosely
/// typed (days and times as strings) so that <see cref="CampaignValidator"/> can name every bad field at once
/// instead of failing on the first one.
/// </summary>
public sealed record CampaignInput
{
    public string? Id { get; init; }

    public string? Name { get; init; }

    public string? TrackingNumber { get; init; }

    public string? AgentNumber { get; init; }

    public bool? IsActive { get; init; }

    public RecordingNoticeInput? RecordingNotice { get; init; }

    public bool? RecordCalls { get; init; }

    public string? WhisperText { get; init; }

    public BusinessHoursInput? BusinessHours { get; init; }

    public OutOfHoursInput? OutOfHours { get; init; }

    public string? FallbackNumber { get; init; }

    public ImpactIdsInput? Impact { get; init; }

    public decimal? MonthlySpend { get; init; }

    public int? RingTimeoutSeconds { get; init; }

    public WhenBusyInput? WhenBusy { get; init; }

    public string? CallbackUrl { get; init; }

    public CallbackPolicyInput? Callback { get; init; }

    public WhenUnansweredInput? WhenUnanswered { get; init; }
}

public sealed record WhenUnansweredInput
{
    /// <summary>voicemail or message.</summary>
    public string? Then { get; init; }

    public string? ThenMessage { get; init; }
}

public sealed record WhenBusyInput
{
    public string? HoldMusicUrl { get; init; }

    public string? Message { get; init; }

    public int? MaxWaitSeconds { get; init; }

    /// <summary>voicemail or message.</summary>
    public string? Then { get; init; }

    public string? ThenMessage { get; init; }
}

public sealed record CallbackPolicyInput
{
    public int? Attempts { get; init; }

    public int? IntervalMinutes { get; init; }

    public bool? OnlyWhenOpen { get; init; }
}

public sealed record RecordingNoticeInput
{
    public string? AudioUrl { get; init; }

    public string? Text { get; init; }

    public string? Language { get; init; }
}

public sealed record BusinessHoursInput
{
    public string? TimeZone { get; init; }

    public IReadOnlyList<OpeningWindowInput?>? Windows { get; init; }

    /// <summary>Local dates, "yyyy-MM-dd".</summary>
    public IReadOnlyList<string?>? ClosedDates { get; init; }
}

/// <summary>Day as a name ("monday", "Mon"); times as "HH:mm" or "HH:mm:ss"; "24:00" closes at midnight.</summary>
public sealed record OpeningWindowInput
{
    public string? Day { get; init; }

    public string? Open { get; init; }

    public string? Close { get; init; }
}

public sealed record OutOfHoursInput
{
    /// <summary>message, voicemail or forward.</summary>
    public string? Action { get; init; }

    public string? Message { get; init; }

    public string? ForwardNumber { get; init; }
}

public sealed record ImpactIdsInput
{
    public long? CampaignId { get; init; }

    public long? MediaId { get; init; }

    public long? ActionTrackerId { get; init; }

    public string? SubId1 { get; init; }

    public string? SubId2 { get; init; }

    public string? SubId3 { get; init; }

    public long? AdId { get; init; }

    public string? PromoNumberDescription { get; init; }

    public string? TrafficSource { get; init; }
}

/// <summary>
/// How to name a field of one input in errors: a JSON-path-ish prefix ("[3].", "_default.1.") and, for inputs
/// read from another shape (the TinyDB seed), the source's own name for each of our fields.
/// </summary>
public sealed record FieldNames(string Prefix = "", IReadOnlyDictionary<string, string>? Aliases = null)
{
    public static readonly FieldNames Root = new();

    public string this[string field] =>
        Prefix + (Aliases is not null && Aliases.TryGetValue(field, out var alias) ? alias : field);

    /// <summary>The item itself (e.g. "[3]"), for errors about the whole item.</summary>
    public string ItemPath => Prefix.Length == 0 ? "$" : Prefix.TrimEnd('.');
}

/// <summary>One campaign of a batch (import), with how its fields are named in errors.</summary>
public sealed record CampaignBatchItem(CampaignInput? Input, FieldNames Names);

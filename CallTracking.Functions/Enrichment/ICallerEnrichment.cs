namespace CallTracking.Functions.Enrichment;

/// <summary>What is known about a caller's number: one interface in front of every provider.</summary>
public interface ICallerEnrichment
{
    /// <summary>
    /// Never throws for provider errors: a failed lookup falls back to offline data and says why in
    /// <see cref="CallerInfo.FallbackReason"/>. A null (withheld) caller is not looked up.
    /// </summary>
    Task<CallerInfo> EnrichAsync(string? callerE164, CancellationToken ct);
}

/// <param name="Country">ISO 3166-1 alpha-2, e.g. "GB".</param>
/// <param name="Region">Where the number was assigned (area, city or state), from numbering-plan data; never the live location.</param>
/// <param name="Carrier">Network name, current where the provider knows it, else the original allocation.</param>
/// <param name="LineType">One of <see cref="LineTypes"/>.</param>
/// <param name="Provider">Who answered: NumberInsightAdvanced, IdentityInsights, Offline, or "none" for a withheld caller.</param>
/// <param name="Cost">EUR this call's lookup cost; 0 for a cache hit, offline data or a withheld caller.</param>
/// <param name="FromCache">True when reused from the caller's cached lookup.</param>
/// <param name="FallbackReason">Why the configured provider's answer was not used; null when it was.</param>
public sealed record CallerInfo(
    string? Country,
    string? Region,
    string? Carrier,
    string LineType,
    string Provider,
    decimal Cost,
    bool FromCache,
    string? FallbackReason);

/// <summary>The values of <see cref="CallerInfo.LineType"/>.</summary>
public static class LineTypes
{
    public const string Mobile = "mobile";
    public const string Landline = "landline";
    public const string Voip = "voip";
    public const string TollFree = "toll-free";
    public const string Premium = "premium";
    public const string Unknown = "unknown";
}

/// <summary>Per-caller history: first/last seen and call count, kept with the cached enrichment in the <c>Callers</c> table.</summary>
public interface ICallerProfiles
{
    /// <summary>
    /// Counts the call once (idempotent per <paramref name="callId"/>: a repeat returns the first answer) and
    /// returns true when it is the caller's first call. A withheld caller (null) has no profile: always false,
    /// as "first-time" cannot be known and must not be claimed.
    /// </summary>
    Task<bool> RecordCallAsync(string? callerE164, string callId, DateTimeOffset at, CancellationToken ct);

    /// <summary>The caller's profile (count, first and last call); null for a withheld caller or one without a profile.</summary>
    Task<CallerProfile?> GetAsync(string? callerE164, CancellationToken ct);
}

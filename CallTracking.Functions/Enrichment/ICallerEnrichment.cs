namespace CallTracking.Functions.Enrichment;

/// <summary>
/// Looks up who is calling (country, carrier, line type), through the configured provider, with a per-caller
/// cache; a provider failure falls back to offline data and is reported in <see cref="CallerInfo.FallbackReason"/>.
/// </summary>
public interface ICallerEnrichment
{
    /// <param name="callerE164">The caller (E.164 with '+'), or null when withheld.</param>
    Task<CallerInfo> EnrichAsync(string? callerE164, CancellationToken ct);
}

/// <summary>What enrichment learned about a caller.</summary>
/// <param name="LineType">mobile, landline, voip, toll-free, premium, unknown.</param>
/// <param name="Provider">Which provider answered (or "cache").</param>
/// <param name="Cost">What this lookup cost, EUR (0 when cached or offline).</param>
public sealed record CallerInfo(
    string? Country,
    string? Region,
    string? Carrier,
    string LineType,
    string Provider,
    decimal Cost,
    bool FromCache,
    string? FallbackReason);

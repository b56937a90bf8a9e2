using Azure;
using CallTracking.Functions.Common;
using CallTracking.Functions.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace CallTracking.Functions.Enrichment;

/// <summary>
/// Enriches a caller with the configured provider, reusing the caller's cached answer for
/// <see cref="EnrichmentOptions.CacheDays"/>. A provider failure never fails the call: the offline data is
/// used instead, with the reason, and is not cached, so the next call tries the provider again. A provider whose
/// settings are missing is not tried at all (<see cref="EnrichmentProviderSettings"/>).
/// </summary>
public sealed class CallerEnrichment(
    IOptions<EnrichmentOptions> options,
    EnrichmentProviderSettings providerSettings,
    CallerStore store,
    OfflineLookup offline,
    NumberInsightLookup numberInsight,
    IdentityInsightsLookup identityInsights,
    TimeProvider time,
    CallTrackingMetrics metrics,
    ILogger<CallerEnrichment> logger) : ICallerEnrichment
{
    public const string NoProvider = "none";

    public async Task<CallerInfo> EnrichAsync(string? callerE164, CancellationToken ct)
    {
        if (callerE164 is null)
        {
            return new CallerInfo(null, null, null, LineTypes.Unknown, NoProvider, 0m, FromCache: false, FallbackReason: null);
        }

        var info = await LookUpAsync(callerE164, ct);
        // Tagged with the configured provider, so a provider that keeps falling back shows as its own fallback rate.
        metrics.Enrichment(options.Value.Provider.ToString(), info.FromCache, fallback: info.FallbackReason is not null);
        return info;
    }

    private async Task<CallerInfo> LookUpAsync(string callerE164, CancellationToken ct)
    {

        var settings = options.Value;
        ICallerLookup lookup = settings.Provider switch
        {
            EnrichmentProvider.NumberInsightAdvanced => numberInsight,
            EnrichmentProvider.IdentityInsights => identityInsights,
            _ => offline,
        };

        // Offline data costs less to compute than a table read costs to fetch, so it is never cached.
        if (lookup.Provider == EnrichmentProvider.Offline)
        {
            return FromDetails(offline.Describe(callerE164), EnrichmentProvider.Offline, fallbackReason: null);
        }

        if (providerSettings.NotConfiguredReason is { } notConfigured)
        {
            return FromDetails(offline.Describe(callerE164), EnrichmentProvider.Offline, notConfigured);
        }

        if (!CallerStore.IsE164(callerE164))
        {
            return FromDetails(offline.Describe(callerE164), EnrichmentProvider.Offline, "not an E.164 number; not looked up");
        }

        var now = time.GetUtcNow();
        var cacheFor = TimeSpan.FromDays(settings.CacheDays);
        if (cacheFor > TimeSpan.Zero
            && (await store.GetAsync(callerE164, ct))?.Enrichment is { } cached
            && cached.Provider == lookup.Provider.ToString()
            && now - cached.EnrichedAt < cacheFor)
        {
            return new CallerInfo(cached.Country, cached.Region, cached.Carrier, cached.LineType, cached.Provider, 0m, FromCache: true, FallbackReason: null);
        }

        CallerDetails details;
        try
        {
            details = await lookup.LookupAsync(callerE164, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            var reason = $"{lookup.Provider}: {Describe(ex)}";
            logger.LogWarning("Caller enrichment failed for {Caller} ({Reason}); using offline data", E164.Mask(callerE164), reason);
            return FromDetails(offline.Describe(callerE164), EnrichmentProvider.Offline, reason);
        }

        if (cacheFor > TimeSpan.Zero)
        {
            try
            {
                await store.SaveEnrichmentAsync(callerE164,
                    new CachedEnrichment(lookup.Provider.ToString(), now, details.Country, details.Region, details.Carrier, details.LineType, details.Cost), ct);
            }
            catch (RequestFailedException ex)
            {
                // The lookup is paid for and valid: losing only the cache entry must not fail (and re-buy) the call.
                logger.LogWarning(ex, "Could not cache the enrichment of {Caller}", E164.Mask(callerE164));
            }
        }

        return FromDetails(details, lookup.Provider, fallbackReason: null);
    }

    private static CallerInfo FromDetails(CallerDetails details, EnrichmentProvider provider, string? fallbackReason) =>
        new(details.Country, details.Region, details.Carrier, details.LineType, provider.ToString(), details.Cost, FromCache: false, fallbackReason);

    /// <summary>A reason fit for logs and the call record: no URL (it carries the number), no credentials.</summary>
    private static string Describe(Exception ex) => ex switch
    {
        CallerLookupException => ex.Message,
        TimeoutRejectedException or TaskCanceledException or TimeoutException => "timed out",
        HttpRequestException { HttpRequestError: var error } => $"unreachable ({error})",
        Polly.CircuitBreaker.BrokenCircuitException => "circuit open after repeated failures",
        _ => $"unexpected {ex.GetType().Name}",
    };
}

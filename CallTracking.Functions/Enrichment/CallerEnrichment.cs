using System.Collections.Concurrent;
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

    /// <summary>How long one instance owns a caller's provider lookup (the lookup's own total timeout is 45 s).</summary>
    public static readonly TimeSpan LookupClaim = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan ClaimPoll = TimeSpan.FromMilliseconds(250);

    /// <summary>Lookups in flight in this instance, by caller: a second call of the same caller joins the first.</summary>
    private readonly ConcurrentDictionary<string, Lazy<Task<CallerInfo>>> _inFlight = new(StringComparer.Ordinal);

    public async Task<CallerInfo> EnrichAsync(string? callerE164, CancellationToken ct)
    {
        if (callerE164 is null)
        {
            return new CallerInfo(null, null, null, LineTypes.Unknown, NoProvider, 0m, FromCache: false, FallbackReason: null);
        }

        var info = await CoalescedAsync(callerE164, ct);
        // Tagged with the configured provider, so a provider that keeps falling back shows as its own fallback rate.
        metrics.Enrichment(options.Value.Provider.ToString(), info.FromCache, fallback: info.FallbackReason is not null);
        return info;
    }

    /// <summary>
    /// One lookup per caller at a time in this instance: concurrent calls of one caller (the queue trigger runs
    /// several messages at once) share the first one's answer, as if cached (cost 0: the first call paid for it).
    /// </summary>
    private async Task<CallerInfo> CoalescedAsync(string callerE164, CancellationToken ct)
    {
        var mine = new Lazy<Task<CallerInfo>>(() => LookUpAsync(callerE164, ct));
        var shared = _inFlight.GetOrAdd(callerE164, mine);
        if (!ReferenceEquals(shared, mine))
        {
            try
            {
                var joined = await shared.Value.WaitAsync(ct);
                return joined.FallbackReason is null && joined.Provider != nameof(EnrichmentProvider.Offline)
                    ? joined with { Cost = 0m, FromCache = true }
                    : joined;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // The first call's invocation was cancelled, not ours: look up on our own.
                return await LookUpAsync(callerE164, ct);
            }
        }

        try
        {
            return await mine.Value;
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<CallerInfo>>>(callerE164, mine));
        }
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
        if (await CachedAsync(callerE164, lookup.Provider, cacheFor, ct) is { } cached)
        {
            return cached;
        }

        // Across instances: one of them claims the caller's lookup on the profile row; the others wait for its
        // answer in the cache (or for the claim to end: released on failure, or expired after a crash).
        var claimed = false;
        if (cacheFor > TimeSpan.Zero)
        {
            var maxPolls = (int)(LookupClaim / ClaimPoll) + 1; // bounded in real time too, whatever the clock says
            for (var poll = 0; poll < maxPolls; poll++)
            {
                now = time.GetUtcNow();
                if (await store.TryClaimLookupAsync(callerE164, now, now + LookupClaim, ct) is null)
                {
                    claimed = true;
                    break;
                }

                await Task.Delay(ClaimPoll, ct);
                if (await CachedAsync(callerE164, lookup.Provider, cacheFor, ct) is { } fromOther)
                {
                    return fromOther;
                }
            }
        }

        CallerDetails details;
        try
        {
            details = await lookup.LookupAsync(callerE164, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            var reason = $"{lookup.Provider}: {Describe(ex)}";
            if (claimed)
            {
                await ReleaseClaimAsync(callerE164);
            }

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
                if (claimed)
                {
                    await ReleaseClaimAsync(callerE164);
                }
            }
        }

        return FromDetails(details, lookup.Provider, fallbackReason: null);
    }

    private async Task<CallerInfo?> CachedAsync(string callerE164, EnrichmentProvider provider, TimeSpan cacheFor, CancellationToken ct) =>
        cacheFor > TimeSpan.Zero
        && (await store.GetAsync(callerE164, ct))?.Enrichment is { } cached
        && cached.Provider == provider.ToString()
        && time.GetUtcNow() - cached.EnrichedAt < cacheFor
            ? new CallerInfo(cached.Country, cached.Region, cached.Carrier, cached.LineType, cached.Provider, 0m, FromCache: true, FallbackReason: null)
            : null;

    private async Task ReleaseClaimAsync(string callerE164)
    {
        try
        {
            await store.ReleaseLookupAsync(callerE164, CancellationToken.None);
        }
        catch (RequestFailedException ex)
        {
            // It expires by itself (LookupClaim); until then other instances wait for it.
            logger.LogWarning(ex, "Could not release the lookup claim of {Caller}", E164.Mask(callerE164));
        }
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

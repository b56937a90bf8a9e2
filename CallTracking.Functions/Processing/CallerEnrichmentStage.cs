using CallTracking.Functions.Common;
using CallTracking.Functions.Enrichment;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Processing;

/// <summary>
/// Adds what is known about the caller (country, region, carrier, line type, lookup cost) and whether this is their
/// first call. A result stage, so both are stored with the call: a redelivery neither pays for a second lookup nor
/// asks the profile again.
/// </summary>
public sealed class CallerEnrichmentStage(ICallerEnrichment enrichment, ICallerProfiles profiles, ILogger<CallerEnrichmentStage> logger)
    : ICallResultStage
{
    public async Task<ProcessedCall> AddResultsAsync(ProcessedCall call, CancellationToken cancellationToken)
    {
        var caller = await enrichment.EnrichAsync(call.CallerNumber, cancellationToken);
        if (caller.FallbackReason is { } fallback)
        {
            logger.LogWarning("Enrichment of {Caller} fell back to {Provider}: {Reason}", E164.Mask(call.CallerNumber), caller.Provider, fallback);
        }

        // Withheld: unknown, never claimed as first-time. A callback attempt (outbound) is no call from the caller: it
        // must not count in their profile (first-time flag, Mixpanel's "Number of Calls").
        bool? firstTime = call.CallerNumber is null || call.Direction is not null
            ? null
            : await profiles.RecordCallAsync(call.CallerNumber, call.CallId, call.StartedAt, cancellationToken);
        return call with
        {
            FirstTimeCaller = firstTime,
            CallerCountry = caller.Country,
            CallerRegion = caller.Region,
            CallerCarrier = caller.Carrier,
            CallerLineType = caller.LineType,
            EnrichmentProvider = caller.Provider,
            EnrichmentCost = caller.Cost,
        };
    }
}

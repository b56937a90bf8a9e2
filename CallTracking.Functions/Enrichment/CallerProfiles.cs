using CallTracking.Functions.Common;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.Enrichment;

/// <inheritdoc />
public sealed class CallerProfiles(CallerStore store, ILogger<CallerProfiles> logger) : ICallerProfiles
{
    public Task<bool> RecordCallAsync(string? callerE164, string callId, DateTimeOffset at, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(callId);
        if (callerE164 is null)
        {
            return Task.FromResult(false);
        }

        if (!CallerStore.IsE164(callerE164))
        {
            // Callers are normalised at the edge; anything else is not a key we want in the table.
            logger.LogWarning("Caller {Caller} of call {CallId} is not E.164; no profile kept", E164.Mask(callerE164), callId);
            return Task.FromResult(false);
        }

        return store.RecordCallAsync(callerE164, callId, at, ct);
    }

    public Task<CallerProfile?> GetAsync(string? callerE164, CancellationToken ct) =>
        CallerStore.IsE164(callerE164) ? store.GetAsync(callerE164!, ct) : Task.FromResult<CallerProfile?>(null);
}

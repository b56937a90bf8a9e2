namespace CallTracking.Functions.Enrichment;

/// <summary>The per-caller profile (first/last seen, call count).</summary>
public interface ICallerProfiles
{
    /// <summary>
    /// Records <paramref name="callId"/> against the caller; true when it is the caller's first call.
    /// Idempotent per call id: recording the same call again returns the same answer.
    /// </summary>
    Task<bool> RecordCallAsync(string? callerE164, string callId, DateTimeOffset at, CancellationToken ct);
}

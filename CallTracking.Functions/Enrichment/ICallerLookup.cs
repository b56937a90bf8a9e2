namespace CallTracking.Functions.Enrichment;

/// <summary>One provider's answer for a number, before caching.</summary>
public sealed record CallerDetails(string? Country, string? Region, string? Carrier, string LineType, decimal Cost);

/// <summary>A provider's lookup. Throws (<see cref="CallerLookupException"/>, <see cref="HttpRequestException"/>, timeouts) when it has no answer.</summary>
public interface ICallerLookup
{
    EnrichmentProvider Provider { get; }

    Task<CallerDetails> LookupAsync(string callerE164, CancellationToken ct);
}

/// <summary>The provider answered, but not with usable data (error status, throttled, unreadable body).</summary>
public sealed class CallerLookupException(string reason) : Exception(reason);

using System.Text.Json.Serialization;

namespace CallTracking.Functions.Callbacks;

/// <summary>One attempt number's row of the seed's retry table.</summary>
public sealed record CallbackAttemptStats(
    [property: JsonPropertyName("attemptNumber")] int AttemptNumber,
    [property: JsonPropertyName("attempted")] int Attempted,
    [property: JsonPropertyName("connected")] int Connected,
    [property: JsonPropertyName("connectRate")] double? ConnectRate);

/// <summary>A campaign's callbacks: all attempts together, and the seed's retry table by attempt number.</summary>
public sealed record CallbackSummary(
    [property: JsonPropertyName("attempted")] int Attempted,
    [property: JsonPropertyName("connected")] int Connected,
    [property: JsonPropertyName("connectRate")] double? ConnectRate,
    [property: JsonPropertyName("byAttempt")] IReadOnlyList<CallbackAttemptStats> ByAttempt);

/// <summary>Callbacks attempted and connected per attempt number, for a campaign, over attempts placed in a range.</summary>
public sealed class CallbackStats(CallbackStore store)
{
    /// <summary>Connect rate = connected / attempted (an attempt is "connected" when the caller was put through to the agent).</summary>
    public async Task<CallbackSummary> SummaryAsync(string campaignId, DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var byAttempt = await ForCampaignAsync(campaignId, from, to, cancellationToken);
        var attempted = byAttempt.Sum(a => a.Attempted);
        var connected = byAttempt.Sum(a => a.Connected);
        return new CallbackSummary(attempted, connected, Rate(connected, attempted), byAttempt);
    }

    private static double? Rate(int part, int whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);

    public async Task<IReadOnlyList<CallbackAttemptStats>> ForCampaignAsync(string campaignId, DateTimeOffset? from, DateTimeOffset? to,
        CancellationToken cancellationToken)
    {
        var rows = await store.CampaignAttemptsAsync(campaignId, cancellationToken);
        return rows
            .Where(r => r.Status == "placed" && r.PlacedAt is { } at && (from is null || at >= from) && (to is null || at < to))
            .GroupBy(r => r.Attempt)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var attempted = g.Count();
                var connected = g.Count(r => r.Connected == true);
                return new CallbackAttemptStats(g.Key, attempted, connected, Rate(connected, attempted));
            })
            .ToList();
    }
}

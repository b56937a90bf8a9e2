using System.Text.Json.Serialization;

namespace CallTracking.Functions.Callbacks;

/// <summary>One attempt number's row of the seed's retry table.</summary>
public sealed record CallbackAttemptStats(
    [property: JsonPropertyName("attemptNumber")] int AttemptNumber,
    [property: JsonPropertyName("attempted")] int Attempted,
    [property: JsonPropertyName("connected")] int Connected,
    [property: JsonPropertyName("connectRate")] double? ConnectRate);

/// <summary>Callbacks attempted and connected per attempt number, for a campaign, over attempts placed in a range.</summary>
public sealed class CallbackStats(CallbackStore store)
{
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
                return new CallbackAttemptStats(g.Key, attempted, connected, attempted == 0 ? null : Math.Round((double)connected / attempted, 4));
            })
            .ToList();
    }
}

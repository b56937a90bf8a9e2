using System.Text.Json.Serialization;
using CallTracking.Functions.Calls;

namespace CallTracking.Functions.Forwarding;

/// <summary>One call's delivery ledger, for <c>GET /api/calls/{id}/deliveries</c>.</summary>
public sealed class DeliveryReport(CallStore calls, DeliveryLedger ledger)
{
    /// <summary>Vonage conversation uuids ("CON-…"): letters, digits, '-' and '_' (safe as a table key).</summary>
    public static bool IsValidCallId(string? id) =>
        id is { Length: > 0 and <= 100 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>Null when the call is unknown.</summary>
    public async Task<CallDeliveries?> GetAsync(string callId, CancellationToken cancellationToken = default)
    {
        var call = await calls.GetAsync(callId, cancellationToken);
        if (call is null)
        {
            return null;
        }

        var rows = await ledger.GetAsync(callId, cancellationToken);
        return new CallDeliveries(callId, call.Outcome, call.ProcessedAt,
            rows.OrderBy(r => r.RowKey, StringComparer.Ordinal)
                .Select(r => new DeliveryView(r.RowKey, r.StatusValue, r.Attempts, r.HttpRequests, r.LastError, r.LastHttpStatus, r.DeliveredAt, r.UpdatedAt))
                .ToList());
    }
}

public sealed record CallDeliveries(
    [property: JsonPropertyName("callId")] string CallId,
    [property: JsonPropertyName("outcome")] string? Outcome,
    [property: JsonPropertyName("processedAt")] DateTimeOffset? ProcessedAt,
    [property: JsonPropertyName("deliveries")] IReadOnlyList<DeliveryView> Deliveries);

public sealed record DeliveryView(
    [property: JsonPropertyName("sink")] string Sink,
    [property: JsonPropertyName("status")] DeliveryStatus Status,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("httpRequests")] int HttpRequests,
    [property: JsonPropertyName("lastError")] string? LastError,
    [property: JsonPropertyName("lastHttpStatus")] int? LastHttpStatus,
    [property: JsonPropertyName("deliveredAt")] DateTimeOffset? DeliveredAt,
    [property: JsonPropertyName("updatedAt")] DateTimeOffset? UpdatedAt);

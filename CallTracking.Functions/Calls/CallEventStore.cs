using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Calls;

/// <summary>
/// Every webhook payload as received (table <c>CallEvents</c>, PartitionKey = conversation uuid), so call states and
/// stats can be recomputed. The RowKey is derived from the event itself (Vonage timestamp, leg uuid, status),
/// so a retried or duplicated event is one row.
/// </summary>
public sealed class CallEventStore(TableServiceClient tableService, TimeProvider time)
{
    /// <summary>A Table string property holds 64 KiB (32K UTF-16 chars); Vonage payloads are far smaller.</summary>
    public const int MaxBodyChars = 30_000;

    private readonly TableClient _table = tableService.GetTableClient(StorageNames.CallEventsTable);

    /// <summary>
    /// "2020-01-01T12:00:00.0000000Z|leg-uuid|completed": sorts by time within a call. Payloads without a status
    /// (record, input, transfer, error) add a hash of the body, since they carry no status to tell them apart.
    /// </summary>
    public static string RowKeyOf(VonageEvent e, ReadOnlySpan<byte> body)
    {
        var timestamp = e.Timestamp?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture) ?? "notime";
        var key = $"{timestamp}|{e.Uuid ?? "-"}|{e.Status ?? e.Kind.ToString().ToLowerInvariant()}";
        return e.Kind == VonageEventKind.Status ? key : $"{key}|{Convert.ToHexStringLower(SHA256.HashData(body))[..16]}";
    }

    /// <summary>Stores the event; false when the same event was stored before.</summary>
    public async Task<bool> TryAddAsync(VonageEvent e, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        // The row key hashes the body as received (duplicates stay one row); the stored text has the caller masked.
        var text = RawEventMasking.Mask(Encoding.UTF8.GetString(body.Span), e);
        var truncated = text.Length > MaxBodyChars;
        var entity = new TableEntity(e.ConversationUuid, RowKeyOf(e, body.Span))
        {
            ["Kind"] = e.Kind.ToString(),
            ["Status"] = e.Status,
            ["LegUuid"] = e.Uuid,
            ["Direction"] = e.Direction,
            ["EventTimestamp"] = e.Timestamp,
            ["ReceivedAt"] = time.GetUtcNow(),
            ["Body"] = truncated ? text[..MaxBodyChars] : text,
            ["BodyTruncated"] = truncated,
        };

        try
        {
            await _table.AddEntityAsync(entity, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    /// <summary>The stored events of one call, in time order.</summary>
    public async Task<IReadOnlyList<TableEntity>> ListAsync(string callId, CancellationToken cancellationToken = default)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {callId}"), cancellationToken: cancellationToken))
        {
            rows.Add(row);
        }

        return rows;
    }
}

using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Calls;

/// <summary>
/// Every webhook payload as received, so call states and stats can be recomputed. Stored in the call's own partition
/// of the <c>Calls</c> table (PartitionKey = conversation uuid, RowKey = <see cref="RowKeyPrefix"/> + <see cref="RowKeyOf"/>),
/// so the intake writes the event and its ledger change in one entity-group transaction (<see cref="CallStore.UpdateAsync(string, Func{CallRecord, bool}, TableEntity?, CancellationToken)"/>).
/// The RowKey is derived from the event itself (Vonage timestamp, leg uuid, status), so a retried or duplicated event
/// is one row. Rows written before the move stay in the legacy <c>CallEvents</c> table (same keys without the prefix):
/// <see cref="ListAsync"/> reads both, and erasure and retention clean both; nothing new is written there.
/// </summary>
public sealed class CallEventStore(TableServiceClient tableService, TimeProvider time)
{
    /// <summary>A Table string property holds 64 KiB (32K UTF-16 chars); Vonage payloads are far smaller.</summary>
    public const int MaxBodyChars = 30_000;

    /// <summary>Event rows' RowKeys start with this, so they never meet the ledger's <see cref="CallRecord.RowKeyValue"/> and form one key range.</summary>
    public const string RowKeyPrefix = "event|";

    // '}' follows '|' in ordinal order: every "event|…" key is below it.
    private const string RowKeyPrefixEnd = "event}";

    // An entity-group transaction holds at most 100 actions, all in one partition.
    private const int MaxBatch = 100;

    private readonly TableClient _calls = tableService.GetTableClient(StorageNames.CallsTable);
    private readonly TableClient _legacy = tableService.GetTableClient(StorageNames.CallEventsTable);

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

    /// <summary>True for an event row of the <c>Calls</c> table (not the ledger row).</summary>
    public static bool IsEventRow(string rowKey) => rowKey.StartsWith(RowKeyPrefix, StringComparison.Ordinal);

    /// <summary>The event rows of one call in the <c>Calls</c> table: one partition, one key range.</summary>
    public static string EventRowsFilter(string callId) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {callId} and RowKey ge {RowKeyPrefix} and RowKey lt {RowKeyPrefixEnd}");

    /// <summary>Event rows of every call in the <c>Calls</c> table (a scan), further restricted by <paramref name="and"/> when given.</summary>
    public static string AllEventRowsFilter(string? and = null) =>
        TableClient.CreateQueryFilter($"RowKey ge {RowKeyPrefix} and RowKey lt {RowKeyPrefixEnd}") + (and is null ? "" : $" and ({and})");

    /// <summary>
    /// The row that keeps <paramref name="e"/>, not yet stored: for <see cref="CallStore.UpdateAsync(string, Func{CallRecord, bool}, TableEntity?, CancellationToken)"/>
    /// to insert together with the ledger change. The caller's number is masked in the stored text; the key hashes the body as received.
    /// </summary>
    public TableEntity RowOf(VonageEvent e, ReadOnlyMemory<byte> body)
    {
        var text = RawEventMasking.Mask(Encoding.UTF8.GetString(body.Span), e);
        var truncated = text.Length > MaxBodyChars;
        return new TableEntity(e.ConversationUuid, RowKeyPrefix + RowKeyOf(e, body.Span))
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
    }

    /// <summary>Stores the event alone (one that changes no ledger row); false when the same event was stored before.</summary>
    public async Task<bool> TryAddAsync(VonageEvent e, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        try
        {
            await _calls.AddEntityAsync(RowOf(e, body), cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    /// <summary>The stored events of one call, in time order: its rows in <c>Calls</c> and any in the legacy <c>CallEvents</c> table.</summary>
    public async Task<IReadOnlyList<TableEntity>> ListAsync(string callId, CancellationToken cancellationToken = default)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in _calls.QueryAsync<TableEntity>(EventRowsFilter(callId), cancellationToken: cancellationToken))
        {
            rows.Add(row);
        }

        await foreach (var row in _legacy.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {callId}"), cancellationToken: cancellationToken))
        {
            rows.Add(row);
        }

        return rows.OrderBy(r => IsEventRow(r.RowKey) ? r.RowKey[RowKeyPrefix.Length..] : r.RowKey, StringComparer.Ordinal).ToList();
    }

    /// <summary>Deletes the stored events of one call (both tables); the number of rows deleted.</summary>
    public async Task<int> DeleteAsync(string callId, CancellationToken cancellationToken = default) =>
        await DeleteInBatchesAsync(EventRowsFilter(callId), cancellationToken)
        + await _legacy.DeleteWhereAsync(TableClient.CreateQueryFilter($"PartitionKey eq {callId}"), cancellationToken);

    /// <summary>Deletes the given rows (as <see cref="ListAsync"/> returned them): each from the table it came from.</summary>
    public async Task DeleteAsync(IEnumerable<TableEntity> rows, CancellationToken cancellationToken = default)
    {
        foreach (var partition in rows.GroupBy(r => r.PartitionKey, StringComparer.Ordinal))
        {
            await DeleteBatchesAsync(partition.Where(r => IsEventRow(r.RowKey)), cancellationToken);
            foreach (var row in partition.Where(r => !IsEventRow(r.RowKey)))
            {
                await _legacy.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
            }
        }
    }

    /// <summary>Deletes every stored event received before <paramref name="cutoff"/> (both tables, a scan of each); the number of rows deleted.</summary>
    public async Task<int> DeleteReceivedBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        await DeleteInBatchesAsync(AllEventRowsFilter(TableClient.CreateQueryFilter($"ReceivedAt lt {cutoff}")), cancellationToken)
        + await _legacy.DeleteWhereAsync(TableClient.CreateQueryFilter($"ReceivedAt lt {cutoff}"), cancellationToken);

    /// <summary>Event rows of the <c>Calls</c> table matching <paramref name="filter"/>, deleted a partition's worth (at most 100) per transaction.</summary>
    private async Task<int> DeleteInBatchesAsync(string filter, CancellationToken cancellationToken)
    {
        var deleted = 0;
        var batch = new List<TableEntity>(MaxBatch);
        await foreach (var row in _calls.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            if (batch.Count == MaxBatch || (batch.Count > 0 && batch[0].PartitionKey != row.PartitionKey))
            {
                deleted += await DeleteBatchesAsync(batch, cancellationToken);
                batch.Clear();
            }

            batch.Add(row);
        }

        return deleted + await DeleteBatchesAsync(batch, cancellationToken);
    }

    private async Task<int> DeleteBatchesAsync(IEnumerable<TableEntity> rows, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var chunk in rows.Chunk(MaxBatch))
        {
            try
            {
                await _calls.SubmitTransactionAsync(
                    chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All)), cancellationToken);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound
                                                            && !MissingStorageRecovery.IsMissingStorageCode(ex.ErrorCode))
            {
                // Another purge or erasure deleted one of them first: delete the rest one by one (a 404 is no error there).
                foreach (var row in chunk)
                {
                    await _calls.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
                }
            }

            deleted += chunk.Length;
        }

        return deleted;
    }
}

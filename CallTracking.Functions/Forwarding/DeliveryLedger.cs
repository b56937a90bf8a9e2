using System.Net;
using Azure;
using Azure.Data.Tables;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Forwarding;

/// <summary>The per-call, per-sink delivery ledger in table <c>Deliveries</c>.</summary>
public sealed class DeliveryLedger(TableServiceClient tableService)
{
    private readonly TableClient _table = tableService.GetTableClient(StorageNames.DeliveriesTable);

    /// <summary>Every sink's row for the call (one partition query).</summary>
    public async Task<IReadOnlyList<DeliveryRecord>> GetAsync(string callId, CancellationToken cancellationToken = default)
    {
        var rows = new List<DeliveryRecord>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {callId}");
        await foreach (var row in _table.QueryAsync<DeliveryRecord>(filter, cancellationToken: cancellationToken))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>
    /// Writes the rows of one call in one transaction: rows without an ETag are inserted, the others replaced
    /// only if unchanged since read. False (nothing written) when another processor got there first.
    /// </summary>
    public async Task<bool> TrySaveAsync(IReadOnlyList<DeliveryRecord> rows, CancellationToken cancellationToken = default)
    {
        if (rows.Count == 0)
        {
            return true;
        }

        var actions = rows.Select(row => row.ETag == default
            ? new TableTransactionAction(TableTransactionActionType.Add, row)
            : new TableTransactionAction(TableTransactionActionType.UpdateReplace, row, row.ETag)).ToList();
        try
        {
            var response = await _table.SubmitTransactionAsync(actions, cancellationToken);
            var missingETag = false;
            for (var i = 0; i < rows.Count; i++)
            {
                var etag = i < response.Value.Count ? response.Value[i].Headers.ETag : null;
                rows[i].ETag = etag ?? default;
                missingETag |= etag is null;
            }

            if (missingETag)
            {
                await RefreshETagsAsync(rows, cancellationToken);
            }

            return true;
        }
        catch (TableTransactionFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task RefreshETagsAsync(IReadOnlyList<DeliveryRecord> rows, CancellationToken cancellationToken)
    {
        var current = (await GetAsync(rows[0].PartitionKey, cancellationToken)).ToDictionary(r => r.RowKey);
        foreach (var row in rows)
        {
            row.ETag = current.TryGetValue(row.RowKey, out var stored) ? stored.ETag : default;
        }
    }
}

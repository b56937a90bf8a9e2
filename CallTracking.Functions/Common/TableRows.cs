using Azure;
using Azure.Data.Tables;

namespace CallTracking.Functions.Common;

/// <summary>Row deletions shared by the features that clean up after themselves (retention, erasure, event rows).</summary>
public static class TableRows
{
    /// <summary>Deletes every row matching <paramref name="filter"/>, one request per row (rows may span partitions); the number deleted.</summary>
    public static async Task<int> DeleteWhereAsync(this TableClient table, string filter, CancellationToken cancellationToken = default)
    {
        var deleted = 0;
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
            deleted++;
        }

        return deleted;
    }
}

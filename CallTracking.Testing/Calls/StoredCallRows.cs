using Azure.Data.Tables;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;

namespace CallTracking.Tests.Calls;

/// <summary>
/// Reads a call's rows straight from storage, by layout: its raw events (rows <c>event|…</c> of its partition in
/// <c>Calls</c>, plus any in the legacy <c>CallEvents</c> table) and its ledger row (<c>call</c>), apart.
/// </summary>
public static class StoredCallRows
{
    /// <summary>The call's raw event rows, wherever stored.</summary>
    public static async Task<List<TableEntity>> EventsAsync(TableServiceClient tables, string callId)
    {
        var rows = await QueryAsync(tables.GetTableClient(StorageNames.CallsTable), TableClient.CreateQueryFilter($"PartitionKey eq {callId}"));
        rows.RemoveAll(r => !r.RowKey.StartsWith(CallEventStore.RowKeyPrefix, StringComparison.Ordinal));
        rows.AddRange(await LegacyEventsAsync(tables, callId));
        return rows;
    }

    /// <summary>The call's rows in the legacy <c>CallEvents</c> table (written before the events moved into <c>Calls</c>).</summary>
    public static Task<List<TableEntity>> LegacyEventsAsync(TableServiceClient tables, string callId) =>
        QueryAsync(tables.GetTableClient(StorageNames.CallEventsTable), TableClient.CreateQueryFilter($"PartitionKey eq {callId}"));

    /// <summary>The call's ledger rows in <c>Calls</c> (zero or one).</summary>
    public static Task<List<TableEntity>> LedgerAsync(TableServiceClient tables, string callId) =>
        QueryAsync(tables.GetTableClient(StorageNames.CallsTable),
            TableClient.CreateQueryFilter($"PartitionKey eq {callId} and RowKey eq {CallRecord.RowKeyValue}"));

    private static async Task<List<TableEntity>> QueryAsync(TableClient table, string filter)
    {
        var rows = new List<TableEntity>();
        try
        {
            await foreach (var row in table.QueryAsync<TableEntity>(filter))
            {
                rows.Add(row);
            }
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            // table never created: nothing stored
        }

        return rows;
    }
}

using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Processing;

/// <summary>Processed calls as the call ledger holds them, for readers other than the processor (the report rebuild).</summary>
public sealed class ProcessedCallReader(TableServiceClient tableService, CallStore calls)
{
    private readonly TableClient _ledger = tableService.GetTableClient(StorageNames.CallsTable);

    /// <summary>Null when the call is unknown or not processed yet.</summary>
    public async Task<ProcessedCall?> GetAsync(string callId, CancellationToken cancellationToken) =>
        await calls.GetAsync(callId, cancellationToken) is { } record ? ProcessedCallMapper.From(record) : null;

    /// <summary>Every processed call: a scan of the whole ledger (it is keyed by call id), for rare admin work only.</summary>
    public async IAsyncEnumerable<ProcessedCall> ScanAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Tables cannot test for null; a comparison is false when the property is missing, so this keeps processed calls.
        // Ledger rows only: the calls' raw events share their partitions.
        var processed = TableClient.CreateQueryFilter($"RowKey eq {CallRecord.RowKeyValue} and ProcessedAt ge {DateTimeOffset.UnixEpoch}");
        await foreach (var record in _ledger.QueryAsync<CallRecord>(processed, maxPerPage: 1000, cancellationToken: cancellationToken))
        {
            if (ProcessedCallMapper.From(record) is { } call)
            {
                yield return call;
            }
        }
    }
}

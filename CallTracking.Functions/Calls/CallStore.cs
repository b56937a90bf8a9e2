using System.Net;
using Azure;
using Azure.Data.Tables;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Calls;

/// <summary>Point reads and ETag-conditional writes of <see cref="CallRecord"/> rows.</summary>
public sealed class CallStore(TableServiceClient tableService, OptimisticConcurrency concurrency, RecentCallRecords? recent = null)
{
    private readonly TableClient _table = tableService.GetTableClient(StorageNames.CallsTable);

    public async Task<CallRecord?> GetAsync(string callId, CancellationToken cancellationToken = default)
    {
        var row = await _table.GetEntityIfExistsAsync<CallRecord>(callId, CallRecord.RowKeyValue, cancellationToken: cancellationToken);
        if (!row.HasValue)
        {
            recent?.Forget(callId);
            return null;
        }

        recent?.Remember(row.Value!);
        return row.Value;
    }

    /// <summary>Inserts a new call; false when it already exists (a retried webhook).</summary>
    public async Task<bool> TryAddAsync(CallRecord call, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await _table.AddEntityAsync(call, cancellationToken);
            call.ETag = response.Headers.ETag ?? default;
            recent?.Remember(call);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            recent?.Forget(call.PartitionKey);
            return false;
        }
    }

    /// <summary>
    /// Replaces the call only if nobody changed it since it was read (<see cref="CallRecord.ETag"/>).
    /// False on a lost race: re-read and re-apply.
    /// </summary>
    public async Task<bool> TryReplaceAsync(CallRecord call, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await _table.UpdateEntityAsync(call, call.ETag, TableUpdateMode.Replace, cancellationToken);
            call.ETag = response.Headers.ETag ?? default;
            recent?.Remember(call);
            return true;
        }
        catch (RequestFailedException ex) when (OptimisticConcurrency.IsLostRace(ex))
        {
            recent?.Forget(call.PartitionKey);
            return false;
        }
    }

    /// <summary>
    /// Reads the call (or starts a new one), applies <paramref name="change"/> and writes it back with an
    /// ETag condition, retrying on lost races. <paramref name="change"/> returns false when there is nothing to write.
    /// When this instance saw the row last (<see cref="RecentCallRecords"/>), the first attempt writes that copy without
    /// reading: the ETag condition makes it the same as reading first, and a copy changed since (or a change that
    /// finds nothing to do on it) falls back to the read.
    /// </summary>
    public async Task<CallRecord> UpdateAsync(string callId, Func<CallRecord, bool> change, CancellationToken cancellationToken = default)
    {
        if (recent?.TryGet(callId) is { } seen && change(seen) && await TryReplaceAsync(seen, cancellationToken))
        {
            return seen;
        }

        return await concurrency.RunAsync($"Call {callId}", async ct =>
        {
            var existing = await GetAsync(callId, ct);
            var call = existing ?? new CallRecord { PartitionKey = callId };
            if (!change(call))
            {
                return Attempt.Done(call);
            }

            var written = existing is null ? await TryAddAsync(call, ct) : await TryReplaceAsync(call, ct);
            return written ? Attempt.Done(call) : Attempt<CallRecord>.LostRace();
        }, cancellationToken);
    }
}

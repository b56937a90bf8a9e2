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
    public async Task<CallRecord> UpdateAsync(string callId, Func<CallRecord, bool> change, CancellationToken cancellationToken = default) =>
        (await UpdateAsync(callId, change, null, cancellationToken)).Call;

    /// <summary>
    /// The same, and inserts <paramref name="alsoInsert"/> (another row of the call's partition, e.g. its raw event) in
    /// the same entity-group transaction as the ledger write: one storage request for both. The row alone when the
    /// ledger does not change. A row stored before (409 on its insert) is a duplicate: the ledger change is then
    /// written alone, as a duplicate event re-applies safely. <see cref="CallWrite.Added"/> says whether the row was new.
    /// </summary>
    public async Task<CallWrite> UpdateAsync(string callId, Func<CallRecord, bool> change, TableEntity? alsoInsert, CancellationToken cancellationToken = default)
    {
        var companion = alsoInsert;
        var added = false;
        if (recent?.TryGet(callId) is { } seen && change(seen))
        {
            var written = await TryWriteAsync(seen, isNew: false, companion, cancellationToken);
            if (written == Written.Both)
            {
                return new CallWrite(seen, companion is not null);
            }

            if (written == Written.CompanionExisted)
            {
                // A duplicate: the change alone, still from the copy; a lost race there falls back to the read.
                companion = null;
                if (await TryReplaceAsync(seen, cancellationToken))
                {
                    return new CallWrite(seen, false);
                }
            }
        }

        var call = await concurrency.RunAsync($"Call {callId}", async ct =>
        {
            var existing = await GetAsync(callId, ct);
            var call = existing ?? new CallRecord { PartitionKey = callId };
            if (!change(call))
            {
                if (companion is not null)
                {
                    added = await TryAddCompanionAsync(companion, ct);
                    companion = null;
                }

                return Attempt.Done(call);
            }

            switch (await TryWriteAsync(call, existing is null, companion, ct))
            {
                case Written.Both:
                    added = companion is not null;
                    return Attempt.Done(call);
                case Written.CompanionExisted:
                    // A duplicate: the ledger change alone, in this attempt (its condition still decides).
                    companion = null;
                    var written = existing is null ? await TryAddAsync(call, ct) : await TryReplaceAsync(call, ct);
                    return written ? Attempt.Done(call) : Attempt<CallRecord>.LostRace();
                default:
                    return Attempt<CallRecord>.LostRace();
            }
        }, cancellationToken);
        return new CallWrite(call, added);
    }

    private enum Written
    {
        Both,
        LostRace,
        CompanionExisted,
    }

    /// <summary>
    /// Writes the call row (insert, or replace on its ETag) and, when given, inserts the companion row with it in one
    /// transaction. The call row's 409/412/404 is a lost race (the cached copy forgotten); the companion's 409 means it
    /// was stored before, and nothing was written.
    /// </summary>
    private async Task<Written> TryWriteAsync(CallRecord call, bool isNew, TableEntity? companion, CancellationToken cancellationToken)
    {
        if (companion is null)
        {
            return await (isNew ? TryAddAsync(call, cancellationToken) : TryReplaceAsync(call, cancellationToken)) ? Written.Both : Written.LostRace;
        }

        TableTransactionAction[] actions =
        [
            new(TableTransactionActionType.Add, companion),
            isNew ? new(TableTransactionActionType.Add, call) : new(TableTransactionActionType.UpdateReplace, call, call.ETag),
        ];
        try
        {
            var response = await _table.SubmitTransactionAsync(actions, cancellationToken);
            if (response.Value.Count == actions.Length && response.Value[1].Headers.ETag is { } etag)
            {
                call.ETag = etag;
                recent?.Remember(call);
            }
            else
            {
                // No ETag for the row: the next write reads it first.
                recent?.Forget(call.PartitionKey);
            }

            return Written.Both;
        }
        catch (TableTransactionFailedException ex) when (ex.FailedTransactionActionIndex == 0 && ex.Status == (int)HttpStatusCode.Conflict)
        {
            return Written.CompanionExisted;
        }
        catch (TableTransactionFailedException ex) when (ex.FailedTransactionActionIndex == 1 && OptimisticConcurrency.IsLostRace(ex))
        {
            recent?.Forget(call.PartitionKey);
            return Written.LostRace;
        }
    }

    private async Task<bool> TryAddCompanionAsync(TableEntity row, CancellationToken cancellationToken)
    {
        try
        {
            await _table.AddEntityAsync(row, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.Conflict)
        {
            return false;
        }
    }
}

/// <summary>The call as written (or found unchanged), and whether the row inserted with it was new (false: stored before, or none).</summary>
public sealed record CallWrite(CallRecord Call, bool Added);

using System.Net;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Campaigns;

/// <summary>
/// Campaigns in Table Storage. Every row lives in one partition so that a campaign row and its
/// tracking-number index row are written in one entity-group transaction: a number can belong to
/// at most one campaign without a read-then-write race. The number row carries a copy of the
/// campaign, so the answer path is a single point read.
/// </summary>
public sealed class CampaignStore(TableServiceClient tableService)
{
    internal const string Partition = "campaign";
    private const string IdPrefix = "id|";
    private const string NumberPrefix = "number|";

    private readonly TableClient _table = tableService.GetTableClient(StorageNames.CampaignsTable);

    public static string IdKey(string id) => IdPrefix + id;

    public static string NumberKey(string e164) => NumberPrefix + e164;

    public async Task<Campaign?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, IdKey(id), cancellationToken: cancellationToken);
        return row.HasValue ? Deserialize(row.Value!) : null;
    }

    /// <summary>The campaign that owns <paramref name="trackingNumber"/> (E.164 with '+'), or null.</summary>
    public async Task<Campaign?> FindByTrackingNumberAsync(string trackingNumber, CancellationToken cancellationToken = default)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, NumberKey(trackingNumber), cancellationToken: cancellationToken);
        return row.HasValue ? Deserialize(row.Value!) : null;
    }

    public async Task<IReadOnlyList<Campaign>> ListAsync(CancellationToken cancellationToken = default)
    {
        var campaigns = new List<Campaign>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey ge {IdPrefix} and RowKey lt {"id}"}");
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            campaigns.Add(Deserialize(row));
        }

        return campaigns;
    }

    /// <summary>Table Storage's limit of operations in one entity-group transaction.</summary>
    public const int MaxTransactionOperations = 100;

    /// <summary>
    /// Creates or replaces each campaign; returns which ids were created. Up to 33 campaigns (three row operations
    /// each at most) go in one entity-group transaction, all or nothing. More are written in transactions of at most
    /// 100 operations, a campaign's id and number rows always in the same one, after every row to be touched has been
    /// read and every number claim checked (so a conflict with another campaign is found before anything is written).
    /// When a later transaction still fails (a concurrent writer), the earlier ones are undone from the rows read
    /// first, so the import is all or nothing unless the process dies between the two; re-running the same import
    /// then converges (it is idempotent).
    /// </summary>
    /// <exception cref="CampaignConflictException">A tracking number already belongs to another campaign.</exception>
    public async Task<IReadOnlyList<(Campaign Campaign, bool Created)>> SaveAsync(
        IReadOnlyList<Campaign> campaigns, CancellationToken cancellationToken = default)
    {
        var results = new List<(Campaign, bool)>();
        var groups = new List<List<PlannedAction>>();
        var now = DateTimeOffset.UtcNow;

        // Number rows are planned per number, not per campaign: within one import a number may be released by one
        // campaign and claimed by another (two campaigns swapping numbers), and a transaction may touch a row once.
        var released = new Dictionary<string, Campaign>(StringComparer.Ordinal);
        var claimed = new List<(Campaign Campaign, bool AlreadyOwned, List<PlannedAction> Group)>();
        foreach (var incoming in campaigns)
        {
            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, IdKey(incoming.Id), cancellationToken: cancellationToken);
            var previous = existing.HasValue ? Deserialize(existing.Value!) : null;
            var campaign = incoming with { CreatedAt = previous?.CreatedAt ?? now, UpdatedAt = now };
            var idRow = ToEntity(campaign, IdKey(campaign.Id));
            var group = new List<PlannedAction>
            {
                new(previous is null
                    ? new TableTransactionAction(TableTransactionActionType.Add, idRow)
                    : new TableTransactionAction(TableTransactionActionType.UpdateReplace, idRow, existing.Value!.ETag),
                    campaign, existing.HasValue ? existing.Value : null),
            };
            groups.Add(group);
            if (previous is not null && previous.TrackingNumber != campaign.TrackingNumber)
            {
                released[previous.TrackingNumber] = previous;
            }

            claimed.Add((campaign, previous?.TrackingNumber == campaign.TrackingNumber, group));
            results.Add((campaign, previous is null));
        }

        foreach (var (campaign, alreadyOwned, group) in claimed)
        {
            var numberRow = ToEntity(campaign, NumberKey(campaign.TrackingNumber));
            var before = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, numberRow.RowKey, cancellationToken: cancellationToken);
            // Overwrite only a number this import owns; anyone else's number is a conflict, found before any write
            // (and, should it be claimed concurrently after this read, the Add fails: 409, that transaction not written).
            var ours = alreadyOwned || released.Remove(campaign.TrackingNumber);
            if (!ours && before.HasValue)
            {
                throw new CampaignConflictException("trackingNumber",
                    $"Tracking number {campaign.TrackingNumber} already belongs to another campaign.");
            }

            group.Add(new(new TableTransactionAction(ours ? TableTransactionActionType.UpsertReplace : TableTransactionActionType.Add, numberRow),
                campaign, before.HasValue ? before.Value : null));
        }

        foreach (var (number, previous) in released)
        {
            var before = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, NumberKey(number), cancellationToken: cancellationToken);
            groups.Add([new(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, NumberKey(number)), ETag.All),
                previous, before.HasValue ? before.Value : null)]);
        }

        await SubmitAllAsync(Chunk(groups), cancellationToken);
        return results;
    }

    /// <summary>One row operation, whose campaign a failure is reported against, and the row as it was (for undo).</summary>
    private sealed record PlannedAction(TableTransactionAction Action, Campaign Owner, TableEntity? Before);

    /// <summary>Packs the groups, in order and never split, into transactions of at most 100 operations.</summary>
    private static List<List<PlannedAction>> Chunk(List<List<PlannedAction>> groups)
    {
        var chunks = new List<List<PlannedAction>>();
        var current = new List<PlannedAction>();
        foreach (var group in groups)
        {
            if (current.Count + group.Count > MaxTransactionOperations)
            {
                chunks.Add(current);
                current = [];
            }

            current.AddRange(group);
        }

        if (current.Count > 0)
        {
            chunks.Add(current);
        }

        return chunks;
    }

    private async Task SubmitAllAsync(List<List<PlannedAction>> chunks, CancellationToken cancellationToken)
    {
        for (var i = 0; i < chunks.Count; i++)
        {
            try
            {
                await SubmitAsync(chunks[i], cancellationToken);
            }
            catch (CampaignConflictException) when (i > 0)
            {
                // Not the caller's token: a half-undone import is worse than a slow one.
                for (var done = i - 1; done >= 0; done--)
                {
                    await _table.SubmitTransactionAsync(chunks[done].Select(Undo), CancellationToken.None);
                }

                throw;
            }
        }
    }

    /// <summary>The operation that puts a row back as it was read before the import.</summary>
    private static TableTransactionAction Undo(PlannedAction planned) => planned.Before is { } before
        ? new TableTransactionAction(TableTransactionActionType.UpsertReplace, before)
        : new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, planned.Action.Entity.RowKey), ETag.All);

    /// <summary>Deletes the campaign and frees its tracking number, atomically. False when it did not exist.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        var existing = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, IdKey(id), cancellationToken: cancellationToken);
        if (!existing.HasValue)
        {
            return false;
        }

        var campaign = Deserialize(existing.Value!);
        try
        {
            await _table.SubmitTransactionAsync(
            [
                new TableTransactionAction(TableTransactionActionType.Delete, existing.Value!, existing.Value!.ETag),
                new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, NumberKey(campaign.TrackingNumber)), ETag.All),
            ], cancellationToken);
            return true;
        }
        catch (TableTransactionFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task SubmitAsync(List<PlannedAction> chunk, CancellationToken cancellationToken)
    {
        try
        {
            await _table.SubmitTransactionAsync(chunk.Select(p => p.Action), cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
        {
            var failed = ex.FailedTransactionActionIndex is { } index && index < chunk.Count ? chunk[index] : null;
            throw failed is not null && failed.Action.Entity.RowKey.StartsWith(NumberPrefix, StringComparison.Ordinal)
                ? new CampaignConflictException("trackingNumber",
                    $"Tracking number {failed.Owner.TrackingNumber} already belongs to another campaign.")
                : new CampaignConflictException("id",
                    $"Campaign '{failed?.Owner.Id}' was changed or created concurrently; retry.");
        }
    }

    private static TableEntity ToEntity(Campaign campaign, string rowKey) => new(Partition, rowKey)
    {
        ["CampaignId"] = campaign.Id,
        ["Name"] = campaign.Name,
        ["TrackingNumber"] = campaign.TrackingNumber,
        ["IsActive"] = campaign.IsActive,
        ["Data"] = JsonSerializer.Serialize(campaign, JsonDefaults.Options),
    };

    /// <exception cref="JsonException">The stored row is corrupt.</exception>
    private static Campaign Deserialize(TableEntity row) =>
        JsonSerializer.Deserialize<Campaign>(row.GetString("Data") ?? throw new JsonException($"Campaign row {row.RowKey} has no Data"), JsonDefaults.Options)
        ?? throw new JsonException($"Campaign row {row.RowKey} is empty");
}

/// <summary>A write lost to a uniqueness or concurrency rule; maps to HTTP 409.</summary>
public sealed class CampaignConflictException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

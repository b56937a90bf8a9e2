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

    /// <summary>
    /// Creates or replaces each campaign, all in one transaction (all or nothing) when they fit in one
    /// (up to 33 campaigns: at most three operations each). Returns which ids were created.
    /// </summary>
    /// <exception cref="CampaignConflictException">A tracking number already belongs to another campaign.</exception>
    public async Task<IReadOnlyList<(Campaign Campaign, bool Created)>> SaveAsync(
        IReadOnlyList<Campaign> campaigns, CancellationToken cancellationToken = default)
    {
        var results = new List<(Campaign, bool)>();
        var actions = new List<TableTransactionAction>();
        var owners = new List<Campaign>();
        var now = DateTimeOffset.UtcNow;

        // Number rows are planned per number, not per campaign: within one import a number may be released by one
        // campaign and claimed by another (two campaigns swapping numbers), and a transaction may touch a row once.
        var released = new Dictionary<string, Campaign>(StringComparer.Ordinal);
        var claimed = new List<(Campaign Campaign, bool AlreadyOwned)>();
        foreach (var incoming in campaigns)
        {
            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, IdKey(incoming.Id), cancellationToken: cancellationToken);
            var previous = existing.HasValue ? Deserialize(existing.Value!) : null;
            var campaign = incoming with { CreatedAt = previous?.CreatedAt ?? now, UpdatedAt = now };
            var idRow = ToEntity(campaign, IdKey(campaign.Id));
            actions.Add(previous is null
                ? new TableTransactionAction(TableTransactionActionType.Add, idRow)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, idRow, existing.Value!.ETag));
            owners.Add(campaign);
            if (previous is not null && previous.TrackingNumber != campaign.TrackingNumber)
            {
                released[previous.TrackingNumber] = previous;
            }

            claimed.Add((campaign, previous?.TrackingNumber == campaign.TrackingNumber));
            results.Add((campaign, previous is null));
        }

        foreach (var (campaign, alreadyOwned) in claimed)
        {
            var numberRow = ToEntity(campaign, NumberKey(campaign.TrackingNumber));
            // Overwrite only a number this import owns; anyone else's number makes the Add fail (409, nothing written).
            var ours = alreadyOwned || released.Remove(campaign.TrackingNumber);
            actions.Add(new TableTransactionAction(ours ? TableTransactionActionType.UpsertReplace : TableTransactionActionType.Add, numberRow));
            owners.Add(campaign);
        }

        foreach (var (number, previous) in released)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, NumberKey(number)), ETag.All));
            owners.Add(previous);
        }

        if (actions.Count > 100)
        {
            throw new ArgumentException($"At most 33 campaigns are saved at once (one transaction); got {campaigns.Count}.", nameof(campaigns));
        }

        await SubmitAsync(actions, owners, cancellationToken);
        return results;
    }

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

    private async Task SubmitAsync(List<TableTransactionAction> actions, List<Campaign> owners, CancellationToken cancellationToken)
    {
        try
        {
            await _table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
        {
            var failed = ex.FailedTransactionActionIndex is { } index && index < owners.Count ? owners[index] : null;
            var failedKey = ex.FailedTransactionActionIndex is { } i && i < actions.Count ? actions[i].Entity.RowKey : null;
            throw failedKey is not null && failedKey.StartsWith(NumberPrefix, StringComparison.Ordinal)
                ? new CampaignConflictException("trackingNumber",
                    $"Tracking number {failed?.TrackingNumber} already belongs to another campaign.")
                : new CampaignConflictException("id",
                    $"Campaign '{failed?.Id}' was changed or created concurrently; retry.");
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

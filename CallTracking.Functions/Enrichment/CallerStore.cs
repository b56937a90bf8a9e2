using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Enrichment;

/// <summary>What the Callers table knows about one number.</summary>
public sealed record CallerProfile(
    string Caller,
    DateTimeOffset? FirstSeenAt,
    DateTimeOffset? LastSeenAt,
    int CallCount,
    string? LastCallId,
    CachedEnrichment? Enrichment);

/// <summary>A provider's answer as cached on the caller's row, with its age and source.</summary>
public sealed record CachedEnrichment(
    string Provider,
    DateTimeOffset EnrichedAt,
    string? Country,
    string? Region,
    string? Carrier,
    string LineType,
    decimal Cost);

/// <summary>
/// The <c>Callers</c> table. PartitionKey = the caller's E.164 number. Row <c>profile</c> holds the profile
/// (first/last seen, call count) and the cached enrichment; a row <c>call|&lt;call id&gt;</c> per counted call
/// makes counting idempotent: it is added in the same entity-group transaction as the profile update, so a
/// call is counted exactly once however often it is processed, with no bound on the number of calls.
/// Roaming and reachability are never stored (some jurisdictions forbid persisting them).
/// </summary>
public sealed partial class CallerStore(TableServiceClient tableService, OptimisticConcurrency concurrency)
{
    public const string ProfileRowKey = "profile";
    private const string CallRowPrefix = "call|";
    private const string EnrichmentColumn = "Enrichment";
    private const string LookupClaimColumn = "LookupClaimedUntil";

    private readonly TableClient _table = tableService.GetTableClient(StorageNames.CallersTable);

    /// <summary>E.164 with '+': the only caller form used as a key.</summary>
    public static bool IsE164(string? value) => value is not null && E164Pattern().IsMatch(value);

    /// <summary>Table keys may not contain '/', '\', '#', '?' or control characters.</summary>
    public static string CallRowKey(string callId) =>
        CallRowPrefix + string.Concat(callId.Select(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c) ? '_' : c));

    public async Task<CallerProfile?> GetAsync(string caller, CancellationToken ct)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(caller, ProfileRowKey, cancellationToken: ct);
        return row.HasValue ? ToProfile(row.Value!) : null;
    }

    /// <summary>Writes only the enrichment columns (merge), leaving the profile columns to their own updates.</summary>
    public async Task SaveEnrichmentAsync(string caller, CachedEnrichment enrichment, CancellationToken ct)
    {
        // One JSON column, replaced whole, so a field the new answer lacks cannot survive from an older one.
        var row = new TableEntity(caller, ProfileRowKey)
        {
            [EnrichmentColumn] = JsonSerializer.Serialize(enrichment, JsonDefaults.Options),
            [LookupClaimColumn] = DateTimeOffset.UnixEpoch, // the lookup is done: waiters read the cache now
        };
        await _table.UpsertEntityAsync(row, TableUpdateMode.Merge, ct);
    }

    /// <summary>
    /// Claims the caller's provider lookup until <paramref name="until"/>, across instances (an ETag-conditional write
    /// of one column on the profile row). Null when claimed; else until when another instance holds it.
    /// </summary>
    public async Task<DateTimeOffset?> TryClaimLookupAsync(string caller, DateTimeOffset now, DateTimeOffset until, CancellationToken ct)
    {
        var read = await _table.GetEntityIfExistsAsync<TableEntity>(caller, ProfileRowKey, cancellationToken: ct);
        var current = read.HasValue ? read.Value : null;
        if (current?.GetDateTimeOffset(LookupClaimColumn) is { } held && held > now)
        {
            return held;
        }

        var claim = new TableEntity(caller, ProfileRowKey) { [LookupClaimColumn] = until };
        try
        {
            if (current is null)
            {
                await _table.AddEntityAsync(claim, ct);
            }
            else
            {
                await _table.UpdateEntityAsync(claim, current.ETag, TableUpdateMode.Merge, ct);
            }

            return null;
        }
        catch (RequestFailedException ex) when (OptimisticConcurrency.IsLostRace(ex))
        {
            // Someone wrote the row since (another claim, or a call counted): the caller looks again shortly.
            return now;
        }
    }

    /// <summary>Gives the claim up (the lookup failed): another instance may try at once.</summary>
    public Task ReleaseLookupAsync(string caller, CancellationToken ct) =>
        _table.UpsertEntityAsync(new TableEntity(caller, ProfileRowKey) { [LookupClaimColumn] = DateTimeOffset.UnixEpoch }, TableUpdateMode.Merge, ct);

    /// <summary>
    /// Counts <paramref name="callId"/> once for <paramref name="caller"/>; returns whether it was the caller's
    /// first call (the stored answer when the call was already counted). Concurrent calls each count:
    /// the profile update is ETag-conditional and retried on a lost race.
    /// </summary>
    public Task<bool> RecordCallAsync(string caller, string callId, DateTimeOffset at, CancellationToken ct)
    {
        var callRowKey = CallRowKey(callId);
        return concurrency.RunAsync($"The profile of {E164.Mask(caller)}", async token =>
        {
            var read = await _table.GetEntityIfExistsAsync<TableEntity>(caller, ProfileRowKey, cancellationToken: token);
            var profile = read.HasValue ? read.Value : null;
            var count = profile?.GetInt32("CallCount") ?? 0;
            var first = count == 0;
            var firstSeen = profile?.GetDateTimeOffset("FirstSeenAt") is { } f && f < at ? f : at;
            var lastSeen = profile?.GetDateTimeOffset("LastSeenAt") is { } l && l > at ? l : at;

            var marker = new TableEntity(caller, callRowKey) { ["FirstCall"] = first, ["At"] = at };
            var update = new TableEntity(caller, ProfileRowKey)
            {
                ["CallCount"] = count + 1,
                ["FirstSeenAt"] = firstSeen,
                ["LastSeenAt"] = lastSeen,
            };
            if (lastSeen == at)
            {
                update["LastCallId"] = callId;
            }

            TableTransactionAction[] actions =
            [
                new(TableTransactionActionType.Add, marker),
                profile is null
                    ? new(TableTransactionActionType.Add, update)
                    : new(TableTransactionActionType.UpdateMerge, update, profile.ETag),
            ];

            try
            {
                await _table.SubmitTransactionAsync(actions, token);
                return Attempt.Done(first);
            }
            catch (RequestFailedException ex) when (OptimisticConcurrency.IsLostRace(ex))
            {
                // Either this call was already counted (its row exists: return the answer given then),
                // or another call changed the profile since we read it: re-read and re-apply.
                var counted = await _table.GetEntityIfExistsAsync<TableEntity>(caller, callRowKey, cancellationToken: token);
                return counted.HasValue ? Attempt.Done(counted.Value!.GetBoolean("FirstCall") ?? false) : Attempt<bool>.LostRace(ex);
            }
        }, ct);
    }

    private static CallerProfile ToProfile(TableEntity row)
    {
        CachedEnrichment? enrichment = null;
        if (row.GetString(EnrichmentColumn) is { } json)
        {
            try
            {
                enrichment = JsonSerializer.Deserialize<CachedEnrichment>(json, JsonDefaults.Options);
            }
            catch (JsonException)
            {
                // A corrupt cache entry is a cache miss.
            }
        }

        return new CallerProfile(
            row.PartitionKey,
            row.GetDateTimeOffset("FirstSeenAt"),
            row.GetDateTimeOffset("LastSeenAt"),
            row.GetInt32("CallCount") ?? 0,
            row.GetString("LastCallId"),
            enrichment);
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{5,14}$")]
    private static partial Regex E164Pattern();
}

using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using CallTracking.Functions.Callbacks;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.Reporting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Privacy;

/// <summary>Everything held about one caller, as stored (every row with its keys), and the recordings' blob names.</summary>
public sealed record CallerDataExport(
    string Number,
    IReadOnlyList<Dictionary<string, object?>> Calls,
    IReadOnlyList<Dictionary<string, object?>> Events,
    IReadOnlyList<Dictionary<string, object?>> Profile,
    IReadOnlyList<Dictionary<string, object?>> Deliveries,
    IReadOnlyList<Dictionary<string, object?>> ReportRows,
    IReadOnlyList<string> Recordings)
{
    /// <summary>The callers list's rows of this number (per campaign and overall) and its callback bookkeeping.</summary>
    public IReadOnlyList<Dictionary<string, object?>> Listings { get; init; } = [];
}

/// <summary>What an erasure did (the number itself is not repeated: <see cref="CallerToken"/> stands for it).</summary>
public sealed record ErasureResult(
    string CallerToken,
    DateTimeOffset ErasedAt,
    int Calls,
    int EventRowsDeleted,
    int ReportRowsScrubbed,
    int ProfileRowsDeleted,
    int RecordingsDeleted,
    IReadOnlyList<ThirdPartyErasure> ThirdParties)
{
    /// <summary>Callers-list and callback rows of the number, deleted (they only describe the number).</summary>
    public int ListingRowsDeleted { get; init; }
}

/// <summary>
/// A data-subject request for one caller number: <see cref="ExportAsync"/> (everything held) and
/// <see cref="EraseAsync"/>. Erasure keeps each call's ledger row, without the number (it carries
/// <see cref="CallRecord.CallerToken"/> and <see cref="CallRecord.CallerErasedAt"/>): the row holds the aggregates'
/// source (report rebuilds) and is the tombstone that stops a late webhook from bringing the number or the recording
/// back (<see cref="CallStateMachine"/>). Raw events, the caller profile and recordings are deleted; report rows lose
/// the number; delivery rows (no number) stay, so a replayed call is not sent again. Idempotent: a second erasure
/// finds nothing left but still deletes the Mixpanel profile and writes its audit row.
/// Finding the calls of a number scans the <c>Calls</c> table (O(all calls), like a report rebuild): a rare admin
/// request does not justify a per-number index, which would be one more place holding the number.
/// </summary>
public sealed class CallerDataService(
    TableServiceClient tables,
    BlobServiceClient blobs,
    CallStore calls,
    CallEventStore callEvents,
    CallerTokens tokens,
    MixpanelErasure mixpanel,
    IOptions<CallTrackingOptions> options,
    TimeProvider time,
    ILogger<CallerDataService> logger)
{
    private readonly TableClient _calls = tables.GetTableClient(StorageNames.CallsTable);
    private readonly TableClient _callers = tables.GetTableClient(StorageNames.CallersTable);
    private readonly TableClient _deliveries = tables.GetTableClient(StorageNames.DeliveriesTable);
    private readonly TableClient _reports = tables.GetTableClient(StorageNames.CampaignStatsTable);
    private readonly TableClient _audit = tables.GetTableClient(StorageNames.PrivacyAuditTable);
    private readonly TableClient _callersList = tables.GetTableClient(StorageNames.CampaignCallersTable);
    private readonly TableClient _callbacks = tables.GetTableClient(StorageNames.CallbacksTable);
    private readonly BlobContainerClient _recordings = blobs.GetBlobContainerClient(StorageNames.RecordingsContainer);

    /// <exception cref="ValidationException">Not a phone number.</exception>
    public string Normalize(string? number) =>
        E164.TryNormalize(Uri.UnescapeDataString(number ?? "").Trim(), options.Value.DefaultCountry, out var e164)
            ? e164
            : throw new ValidationException("number", "Must be a phone number (E.164, e.g. +447700900123).");

    public async Task<CallerDataExport> ExportAsync(string number, CancellationToken cancellationToken = default)
    {
        var e164 = Normalize(number);
        var found = await FindAsync(e164, cancellationToken);
        return new CallerDataExport(
            e164,
            found.Calls.Select(Plain).ToList(),
            found.Events.Select(Plain).ToList(),
            found.Profile.Select(Plain).ToList(),
            found.Deliveries.Select(Plain).ToList(),
            found.ReportRows.Select(Plain).ToList(),
            found.Calls.Select(c => c.GetString(nameof(CallRecord.RecordingBlob))).OfType<string>().ToList())
        {
            Listings = found.Listings.Select(Plain).ToList(),
        };
    }

    public async Task<ErasureResult> EraseAsync(string number, string erasedBy, CancellationToken cancellationToken = default)
    {
        var e164 = Normalize(number);
        var token = tokens.TokenOf(e164);
        var now = time.GetUtcNow();
        var found = await FindAsync(e164, cancellationToken);

        // 1. The ledger rows first: from here on a late webhook or a copy job finds the tombstone.
        var recordings = new List<string>();
        foreach (var row in found.Calls)
        {
            await calls.UpdateAsync(row.PartitionKey, call =>
            {
                if (call.CallerErasedAt is not null && call.CallerNumber is null && call.RecordingBlob is null && call.RecordingUrl is null)
                {
                    return false;
                }

                if (call.RecordingBlob is { } blob)
                {
                    recordings.Add(blob);
                }

                call.CallerNumber = null;
                call.CallerToken = token;
                call.CallerErasedAt ??= now;
                call.RecordingUrl = null;
                call.RecordingBlob = null;
                return true;
            }, cancellationToken);
        }

        // 2. Recordings, raw events, the profile: deleted.
        var recordingsDeleted = 0;
        foreach (var name in recordings.Distinct(StringComparer.Ordinal))
        {
            recordingsDeleted += (await _recordings.DeleteBlobIfExistsAsync(name, cancellationToken: cancellationToken)).Value ? 1 : 0;
        }

        await callEvents.DeleteAsync(found.Events, cancellationToken);

        foreach (var row in found.Profile)
        {
            await _callers.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
        }

        foreach (var row in found.Listings)
        {
            var table = row.PartitionKey.StartsWith(CallbackSlot.AnsweredPartition(""), StringComparison.Ordinal) ? _callbacks : _callersList;
            await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
        }

        // 3. Report rows keep the call (aggregates, listings) without the number or Vonage's recording URL.
        foreach (var row in found.ReportRows)
        {
            await ScrubReportRowAsync(row, cancellationToken);
        }

        // 4. Delivery rows hold no number, except perhaps in a sink's error text.
        foreach (var row in found.Deliveries.Where(r => r.GetString(nameof(DeliveryRecord.LastError)) is not null))
        {
            row.Remove(nameof(DeliveryRecord.LastError));
            await _deliveries.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Replace, cancellationToken);
        }

        // 5. Third parties.
        var callIds = found.Calls.Select(c => c.PartitionKey).ToList();
        var thirdParties = new List<ThirdPartyErasure>(await mixpanel.EraseAsync(e164, cancellationToken))
        {
            new("segment", "not erasable through their API: contact them", [$"userId {e164}", .. callIds.Select(id => "messageId inbound-call-" + id)]),
            new("impact.com", "not erasable through their API: contact them", [$"CallerId {E164.ToVonage(e164)}", .. callIds.Select(id => "call " + id)]),
        };

        var result = new ErasureResult(token, now, found.Calls.Count, found.Events.Count, found.ReportRows.Count, found.Profile.Count,
            recordingsDeleted, thirdParties)
        {
            ListingRowsDeleted = found.Listings.Count,
        };
        await _audit.AddEntityAsync(new TableEntity("erasure", $"{now.UtcDateTime:yyyyMMddTHHmmssfffffffZ}-{Guid.NewGuid():N}")
        {
            ["CallerToken"] = token,
            ["ErasedBy"] = erasedBy,
            ["ErasedAt"] = now,
            ["Calls"] = result.Calls,
            ["CallIds"] = string.Join(' ', callIds),
            ["EventRowsDeleted"] = result.EventRowsDeleted,
            ["ReportRowsScrubbed"] = result.ReportRowsScrubbed,
            ["ProfileRowsDeleted"] = result.ProfileRowsDeleted,
            ["RecordingsDeleted"] = result.RecordingsDeleted,
            ["ThirdParties"] = string.Join("; ", thirdParties.Select(t => $"{t.Service}: {t.Status}")),
        }, cancellationToken);

        logger.LogInformation("Erased caller {Caller} ({Token}): {Calls} call(s), {Recordings} recording(s), by {By}",
            E164.Mask(e164), token, result.Calls, recordingsDeleted, erasedBy);
        return result;
    }

    private sealed record Found(
        List<TableEntity> Calls, List<TableEntity> Events, List<TableEntity> Profile, List<TableEntity> Deliveries, List<TableEntity> ReportRows,
        List<TableEntity> Listings);

    private async Task<Found> FindAsync(string e164, CancellationToken cancellationToken)
    {
        // Ledger rows only (the calls' raw events share their partitions, and hold the number masked).
        var callRows = await QueryAsync(_calls, TableClient.CreateQueryFilter($"RowKey eq {CallRecord.RowKeyValue} and CallerNumber eq {e164}"), cancellationToken);
        var events = new List<TableEntity>();
        var deliveries = new List<TableEntity>();
        var reportRows = await QueryAsync(_reports, TableClient.CreateQueryFilter($"CallerNumber eq {e164}"), cancellationToken);
        foreach (var call in callRows)
        {
            events.AddRange(await callEvents.ListAsync(call.PartitionKey, cancellationToken));
            deliveries.AddRange(await QueryAsync(_deliveries, TableClient.CreateQueryFilter($"PartitionKey eq {call.PartitionKey}"), cancellationToken));
            var partition = call.GetString(nameof(CallRecord.CampaignId)) is { Length: > 0 } campaign ? campaign : ReportKeys.Unassigned;
            var index = await _reports.GetEntityIfExistsAsync<TableEntity>(partition, ReportKeys.IndexKey(call.PartitionKey), cancellationToken: cancellationToken);
            if (index.HasValue && index.Value is { } row && !reportRows.Any(r => r.PartitionKey == row.PartitionKey && r.RowKey == row.RowKey))
            {
                reportRows.Add(row);
            }
        }

        var profile = await QueryAsync(_callers, TableClient.CreateQueryFilter($"PartitionKey eq {e164}"), cancellationToken);
        // The callers list keys a number by its reversed digits in every campaign's partition and "*": a row-key scan.
        var listings = await QueryAsync(_callersList, TableClient.CreateQueryFilter($"RowKey eq {CallerList.Key(e164)}"), cancellationToken);
        listings.AddRange(await QueryAsync(_callbacks,
            TableClient.CreateQueryFilter($"PartitionKey eq {CallbackSlot.AnsweredPartition(e164)}"), cancellationToken));
        return new Found(callRows, events, profile, deliveries, reportRows, listings);
    }

    private async Task ScrubReportRowAsync(TableEntity row, CancellationToken cancellationToken)
    {
        if (row.RowKey.StartsWith(ReportKeys.IndexKey(""), StringComparison.Ordinal))
        {
            if (CallEntry.FromIndexRow(row) is { } entry)
            {
                row["Entry"] = (entry with { CallerNumber = null, RecordingUrl = null }).ToIndexRow()["Entry"];
            }
        }
        else
        {
            row.Remove("CallerNumber");
            row.Remove("RecordingUrl");
        }

        await _reports.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Replace, cancellationToken);
    }

    private static async Task<List<TableEntity>> QueryAsync(TableClient table, string filter, CancellationToken cancellationToken)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            rows.Add(row);
        }

        return rows;
    }

    private static Dictionary<string, object?> Plain(TableEntity row)
    {
        var plain = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["PartitionKey"] = row.PartitionKey,
            ["RowKey"] = row.RowKey,
            ["Timestamp"] = row.Timestamp,
        };
        foreach (var (key, value) in row)
        {
            if (!key.StartsWith("odata.", StringComparison.Ordinal) && key is not ("PartitionKey" or "RowKey" or "Timestamp"))
            {
                plain[key] = value;
            }
        }

        return plain;
    }
}

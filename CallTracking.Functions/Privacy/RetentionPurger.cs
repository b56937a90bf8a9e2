using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using CallTracking.Functions.Callbacks;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Reporting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Privacy;

/// <summary>What one purge deleted.</summary>
public sealed record RetentionResult(DateTimeOffset Cutoff, int Calls, int EventRows, int DeliveryRows, int ReportRows, int CallerProfiles, int Recordings)
{
    /// <summary>Callers-list rows and callback "answered" markers of numbers not heard from since the cutoff.</summary>
    public int ListingRows { get; init; }
}

/// <summary>
/// Deletes what is older than <see cref="CallTrackingOptions.RetentionDays"/>: calls (by when they started) with their
/// raw events, deliveries, per-call report rows and recording; raw events of no call; caller profiles, callers-list
/// rows and callback "answered" markers of numbers not heard from since; recordings last written before the cutoff. Campaign aggregates (hour, day, month rows) stay: no personal data.
/// A call's own rows go before its ledger row, so a purge that stops half-way finds the call again next time.
/// Note that a report rebuild over a purged range would drop the purged calls from its aggregates: rebuild only
/// ranges within the retention period.
/// </summary>
public sealed class RetentionPurger(
    TableServiceClient tables,
    BlobServiceClient blobs,
    CallEventStore callEvents,
    IOptions<CallTrackingOptions> options,
    TimeProvider time,
    ILogger<RetentionPurger> logger)
{
    private readonly TableClient _calls = tables.GetTableClient(StorageNames.CallsTable);
    private readonly TableClient _callers = tables.GetTableClient(StorageNames.CallersTable);
    private readonly TableClient _deliveries = tables.GetTableClient(StorageNames.DeliveriesTable);
    private readonly TableClient _reports = tables.GetTableClient(StorageNames.CampaignStatsTable);
    private readonly TableClient _callersList = tables.GetTableClient(StorageNames.CampaignCallersTable);
    private readonly TableClient _callbacks = tables.GetTableClient(StorageNames.CallbacksTable);
    private readonly BlobContainerClient _recordings = blobs.GetBlobContainerClient(StorageNames.RecordingsContainer);

    public DateTimeOffset Cutoff => time.GetUtcNow() - TimeSpan.FromDays(options.Value.RetentionDays);

    public async Task<RetentionResult> PurgeAsync(CancellationToken cancellationToken = default)
    {
        var cutoff = Cutoff;
        int calls = 0, events = 0, deliveries = 0, reportRows = 0, profiles = 0, recordings = 0;

        // Ledger rows only: the calls' raw events share their partitions and go with them.
        var ledgerRows = TableClient.CreateQueryFilter($"RowKey eq {CallRecord.RowKeyValue}");
        await foreach (var call in _calls.QueryAsync<CallRecord>(ledgerRows, cancellationToken: cancellationToken))
        {
            if (StartOf(call) >= cutoff)
            {
                continue;
            }

            events += await callEvents.DeleteAsync(call.PartitionKey, cancellationToken);
            deliveries += await DeletePartitionAsync(_deliveries, call.PartitionKey, cancellationToken);
            reportRows += await DeleteReportRowsAsync(call, cancellationToken);
            if (call.RecordingBlob is { } blob && (await _recordings.DeleteBlobIfExistsAsync(blob, cancellationToken: cancellationToken)).Value)
            {
                recordings++;
            }

            await _calls.DeleteEntityAsync(call.PartitionKey, call.RowKey, ETag.All, cancellationToken);
            calls++;
        }

        // Raw events of calls the ledger never had (a webhook for an unknown conversation).
        events += await callEvents.DeleteReceivedBeforeAsync(cutoff, cancellationToken);

        await foreach (var profile in _callers.QueryAsync<TableEntity>(
                           TableClient.CreateQueryFilter($"RowKey eq {Enrichment.CallerStore.ProfileRowKey} and LastSeenAt lt {cutoff}"),
                           cancellationToken: cancellationToken))
        {
            await DeletePartitionAsync(_callers, profile.PartitionKey, cancellationToken);
            profiles++;
        }

        // Rows that exist only to describe a number: they go with the number's last call.
        var listings = await _callersList.DeleteWhereAsync(CallerList.RowsLastCalledBefore(cutoff), cancellationToken)
            + await _callbacks.DeleteWhereAsync(CallbackStore.AnsweredMarkersBefore(cutoff), cancellationToken);

        // Recordings the ledger no longer points to (a crash between upload and ledger write); in Azure the Blob
        // lifecycle rule deletes by age as well.
        await foreach (var blob in _recordings.GetBlobsAsync(cancellationToken: cancellationToken))
        {
            if (blob.Properties.LastModified < cutoff)
            {
                await _recordings.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
                recordings++;
            }
        }

        var result = new RetentionResult(cutoff, calls, events, deliveries, reportRows, profiles, recordings) { ListingRows = listings };
        logger.LogInformation("Retention purge before {Cutoff:o}: {Result}", cutoff, result);
        return result;
    }

    /// <summary>When a call started: what its age is counted from.</summary>
    public static DateTimeOffset StartOf(CallRecord call) =>
        call.KnownStartTime() ?? call.Timestamp ?? DateTimeOffset.MaxValue;

    private async Task<int> DeleteReportRowsAsync(CallRecord call, CancellationToken cancellationToken)
    {
        var partition = string.IsNullOrEmpty(call.CampaignId) ? ReportKeys.Unassigned : call.CampaignId;
        var index = await _reports.GetEntityIfExistsAsync<TableEntity>(partition, ReportKeys.IndexKey(call.PartitionKey), cancellationToken: cancellationToken);
        if (!index.HasValue || index.Value is not { } row)
        {
            return 0;
        }

        var deleted = 0;
        if (row.GetString("CallKey") is { } callKey)
        {
            deleted += (await _reports.DeleteEntityAsync(partition, callKey, ETag.All, cancellationToken)).Status == 204 ? 1 : 0;
        }

        await _reports.DeleteEntityAsync(partition, row.RowKey, ETag.All, cancellationToken);
        return deleted + 1;
    }

    private static Task<int> DeletePartitionAsync(TableClient table, string partition, CancellationToken cancellationToken) =>
        table.DeleteWhereAsync(TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), cancellationToken);
}

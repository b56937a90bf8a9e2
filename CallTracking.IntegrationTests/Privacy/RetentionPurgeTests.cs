using Azure.Data.Tables;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Enrichment;
using CallTracking.Functions.Privacy;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using CallTracking.Tests.Calls;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Processing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Privacy;

/// <summary>The retention purge and its daily schedule, against Azurite, with the clock moved past the limit.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class RetentionPurgeTests(AzuriteFixture azurite) : IAsyncLifetime
{
    // A month after ForwardingHarness's calls: with 395 days kept, a call 400 days older than those is past the limit.
    private readonly ManualTimeProvider _clock = new(ForwardingHarness.StartOfCall.AddDays(30));
    private ForwardingHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _harness = await ForwardingHarness.StartAsync(azurite, configure: s => s.AddSingleton<TimeProvider>(_clock));
        await _harness.Services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private T Get<T>() where T : notnull => _harness.Services.GetRequiredService<T>();

    private async Task<CallRecord> ProcessedCallAsync(CallTracking.Functions.Campaigns.Campaign campaign, TimeSpan shift)
    {
        var call = ForwardingHarness.AnsweredCall(campaign, TestNumbers.UkMobile());
        call.AnsweredAt += shift;
        call.InboundStartTime += shift;
        call.InboundStatusAt += shift;
        call.InboundEndTime += shift;
        call.AgentStatusAt += shift;
        call.AgentAnsweredAt += shift;
        call.AgentEndTime += shift;
        call.CompletedAt += shift;
        call.EnqueuedAt += shift;
        call.RecordingBlob = $"{campaign.Id}/{call.InboundStartTime:yyyy}/{call.InboundStartTime:MM}/{call.PartitionKey}.mp3";
        await _harness.AddCallAsync(call);
        await azurite.BlobService().GetBlobContainerClient(StorageNames.RecordingsContainer)
            .UploadBlobAsync(call.RecordingBlob, BinaryData.FromString("ID3 " + call.PartitionKey));
        _clock.Advance(shift); // raw events and profiles are stamped with the clock
        await Get<CallEventStore>().TryAddAsync(
            new VonageEvent { Kind = VonageEventKind.Status, ConversationUuid = call.PartitionKey, Uuid = call.InboundLegUuid, Status = "completed", Timestamp = call.CompletedAt },
            System.Text.Encoding.UTF8.GetBytes("{\"status\":\"completed\"}"));
        Assert.Equal(ProcessingStatus.Processed, await _harness.Processor.ProcessAsync(call.PartitionKey));
        _clock.Advance(-shift);
        return call;
    }

    private async Task<List<TableEntity>> RowsAsync(string table, string partition)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in azurite.TableService().GetTableClient(table).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition}")))
        {
            rows.Add(row);
        }

        return rows;
    }

    private static string Describe(TableEntity row) => row.RowKey + ":" + string.Join(";", row
        .Where(p => !p.Key.StartsWith("odata", StringComparison.Ordinal) && p.Key != "Timestamp")
        .OrderBy(p => p.Key, StringComparer.Ordinal)
        .Select(p => $"{p.Key}={Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)}"));

    [Fact]
    public async Task The_purge_removes_exactly_what_is_older_than_the_limit_and_keeps_aggregates()
    {
        var campaign = await _harness.CreateCampaignAsync();
        var old = await ProcessedCallAsync(campaign, TimeSpan.FromDays(-400));
        var recent = await ProcessedCallAsync(campaign, TimeSpan.Zero);
        var reportsBefore = await RowsAsync(StorageNames.CampaignStatsTable, campaign.Id);
        var aggregatesBefore = reportsBefore.Where(r => !r.ContainsKey("CallId") && !r.ContainsKey("Entry")).Select(Describe).Order().ToList();
        Assert.Contains(aggregatesBefore, a => a.StartsWith(ReportKeys.HourKey(old.InboundStartTime!.Value), StringComparison.Ordinal));

        var result = await Get<RetentionPurger>().PurgeAsync();

        Assert.Equal(_clock.GetUtcNow().AddDays(-395), result.Cutoff);
        var calls = Get<CallStore>();
        Assert.Null(await calls.GetAsync(old.PartitionKey));
        Assert.NotNull(await calls.GetAsync(recent.PartitionKey));
        Assert.Empty(await StoredCallRows.EventsAsync(azurite.TableService(), old.PartitionKey));
        Assert.NotEmpty(await StoredCallRows.EventsAsync(azurite.TableService(), recent.PartitionKey));
        Assert.Empty(await RowsAsync(StorageNames.DeliveriesTable, old.PartitionKey));
        Assert.NotEmpty(await RowsAsync(StorageNames.DeliveriesTable, recent.PartitionKey));
        Assert.Empty(await RowsAsync(StorageNames.CallersTable, old.CallerNumber!));
        Assert.NotEmpty(await RowsAsync(StorageNames.CallersTable, recent.CallerNumber!));
        // The callers list describes only the number: the old caller's rows go, the recent caller's stay.
        var listed = (await RowsAsync(StorageNames.CampaignCallersTable, campaign.Id)).Select(r => r.RowKey).ToList();
        Assert.DoesNotContain(CallerList.Key(old.CallerNumber!), listed);
        Assert.Contains(CallerList.Key(recent.CallerNumber!), listed);

        var container = azurite.BlobService().GetBlobContainerClient(StorageNames.RecordingsContainer);
        Assert.False(await container.GetBlobClient(old.RecordingBlob).ExistsAsync());
        Assert.True(await container.GetBlobClient(recent.RecordingBlob).ExistsAsync());

        // Per-call report rows of the old call gone, the recent call's kept; every aggregate row unchanged.
        var reportsAfter = await RowsAsync(StorageNames.CampaignStatsTable, campaign.Id);
        Assert.DoesNotContain(reportsAfter, r => r.RowKey.Contains(old.PartitionKey, StringComparison.Ordinal));
        Assert.Equal(2, reportsAfter.Count(r => r.RowKey.Contains(recent.PartitionKey, StringComparison.Ordinal)));
        Assert.Equal(aggregatesBefore, reportsAfter.Where(r => !r.ContainsKey("CallId") && !r.ContainsKey("Entry")).Select(Describe).Order().ToList());
        Assert.True(result.Calls >= 1 && result.Recordings >= 1 && result.CallerProfiles >= 1 && result.ListingRows >= 1);
    }

    [Fact]
    public async Task Event_rows_in_both_tables_go_with_their_call_or_by_age_and_scans_take_them_for_no_call()
    {
        var campaign = await _harness.CreateCampaignAsync();
        var old = await ProcessedCallAsync(campaign, TimeSpan.FromDays(-400));
        var recent = await ProcessedCallAsync(campaign, TimeSpan.Zero);
        var tables = azurite.TableService();
        var calls = tables.GetTableClient(StorageNames.CallsTable);
        var legacy = tables.GetTableClient(StorageNames.CallEventsTable);

        // The old call: more raw events than one transaction holds, and rows from before the move.
        foreach (var chunk in Enumerable.Range(0, 150).Chunk(100))
        {
            await calls.SubmitTransactionAsync(chunk.Select(n => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity(old.PartitionKey, $"{CallEventStore.RowKeyPrefix}2025-01-01T00:00:00.0000000Z|leg|{n:D3}"))));
        }

        await legacy.AddEntityAsync(new TableEntity(old.PartitionKey, "2025-01-01T00:00:00.0000000Z|leg|legacy"));
        await legacy.AddEntityAsync(new TableEntity(recent.PartitionKey, "2026-03-01T00:00:00.0000000Z|leg|legacy") { ["ReceivedAt"] = _clock.GetUtcNow() });

        // Raw events of conversations the ledger never had: old ones go by age, recent ones stay.
        var orphanOld = TestServices.UniqueId("CON");
        var orphanRecent = TestServices.UniqueId("CON");
        _clock.Advance(TimeSpan.FromDays(-400));
        await Get<CallEventStore>().TryAddAsync(new VonageEvent { Kind = VonageEventKind.Input, ConversationUuid = orphanOld }, "{}"u8.ToArray());
        _clock.Advance(TimeSpan.FromDays(400));
        await Get<CallEventStore>().TryAddAsync(new VonageEvent { Kind = VonageEventKind.Input, ConversationUuid = orphanRecent }, "{}"u8.ToArray());
        await legacy.AddEntityAsync(new TableEntity(orphanOld, "legacy") { ["ReceivedAt"] = _clock.GetUtcNow().AddDays(-400) });
        await legacy.AddEntityAsync(new TableEntity(orphanRecent, "legacy") { ["ReceivedAt"] = _clock.GetUtcNow() });

        var result = await Get<RetentionPurger>().PurgeAsync();

        Assert.Empty(await RowsAsync(StorageNames.CallsTable, old.PartitionKey)); // ledger row and every event row
        Assert.Empty(await StoredCallRows.EventsAsync(tables, old.PartitionKey));
        Assert.Empty(await StoredCallRows.EventsAsync(tables, orphanOld));
        Assert.Equal(2, (await StoredCallRows.EventsAsync(tables, recent.PartitionKey)).Count); // its raw event and its legacy row
        Assert.Equal(2, (await StoredCallRows.EventsAsync(tables, orphanRecent)).Count);
        Assert.Single(await StoredCallRows.LedgerAsync(tables, recent.PartitionKey));
        Assert.True(result.EventRows >= 150 + 1 + 1 + 2, $"{result.EventRows} event rows deleted");

        // The processed-call scan reads ledger rows only: the recent call once, none of its events as a call.
        var scanned = new List<string>();
        await foreach (var call in Get<ProcessedCallReader>().ScanAsync(CancellationToken.None))
        {
            scanned.Add(call.CallId);
        }

        Assert.Single(scanned, id => id == recent.PartitionKey);
        Assert.DoesNotContain(orphanRecent, scanned);
    }

    [Fact]
    public async Task The_daily_chain_runs_once_per_due_time_and_schedules_the_next()
    {
        var schedule = Get<RetentionSchedule>();
        var queue = azurite.QueueService().GetQueueClient(StorageNames.RetentionQueue);
        await queue.ClearMessagesAsync();
        await azurite.TableService().GetTableClient(StorageNames.PrivacyAuditTable)
            .DeleteEntityAsync(RetentionSchedule.Partition, RetentionSchedule.RowKey);

        await schedule.EnsureScheduledAsync();
        await schedule.EnsureScheduledAsync(); // a second instance starting: no second chain
        Assert.Equal(1, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);

        var due = _clock.GetUtcNow() + RetentionSchedule.FirstRunDelay;
        _clock.Advance(RetentionSchedule.FirstRunDelay);
        Assert.NotNull(await schedule.RunAsync(new RetentionMessage(due)));
        Assert.Null(await schedule.RunAsync(new RetentionMessage(due))); // the duplicate does nothing
        Assert.Equal(2, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount); // first + the next day's

        var row = (await azurite.TableService().GetTableClient(StorageNames.PrivacyAuditTable)
            .GetEntityAsync<TableEntity>(RetentionSchedule.Partition, RetentionSchedule.RowKey)).Value;
        Assert.Equal(due, row.GetDateTimeOffset("CompletedDue"));
        Assert.Equal(due + RetentionSchedule.Interval, row.GetDateTimeOffset("NextDue"));
    }
}

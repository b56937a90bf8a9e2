using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Privacy;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Recordings;
using CallTracking.Tests.Calls;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Processing;
using CallTracking.Tests.Vonage;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Privacy;

/// <summary>
/// A caller's data export and erasure in process against Azurite, after real calls went through the intake, the
/// recording archive and processing (reports, sinks on a stub). The proof is a scan of every table row and blob of
/// the account for the number's digits.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class CallerErasureTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private VoiceApiStub _vonage = null!;
    private ForwardingHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _vonage = await VoiceApiStub.StartAsync();
        _harness = await ForwardingHarness.StartAsync(azurite, new Dictionary<string, string?>(_vonage.Settings()) { ["CallTracking:ProcessingDelaySeconds"] = "0" });
        await _harness.Services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        await _vonage.DisposeAsync();
    }

    private T Get<T>() where T : notnull => _harness.Services.GetRequiredService<T>();

    private static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    private string RecordingWebhook(string callId, string path) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["conversation_uuid"] = callId,
        ["recording_uuid"] = "rec-" + callId,
        ["recording_url"] = _vonage.BaseUrl + path,
        ["start_time"] = CallEvents.Time(6),
        ["end_time"] = CallEvents.Time(66),
        ["timestamp"] = CallEvents.Time(67),
    });

    /// <summary>One answered, recorded call of <paramref name="caller"/>, through intake, archive and processing.</summary>
    private async Task<CallEvents> CallAsync(Campaign campaign, string caller)
    {
        var events = new CallEvents(TestServices.UniqueId("CON"), TestNumbers.Digits(campaign.TrackingNumber), TestNumbers.Digits(caller));
        var path = "/v1/files/" + Guid.NewGuid();
        _vonage.Server.On("GET", path, new StubResponse(200, "ID3 recording of " + events.ConversationUuid, "audio/mpeg"));
        var intake = Get<CallIntake>();
        foreach (var json in events.AnsweredCall())
        {
            await intake.HandleEventAsync(Utf8(json));
        }

        await intake.HandleRecordingAsync(Utf8(RecordingWebhook(events.ConversationUuid, path)));
        Assert.Equal(ArchiveOutcome.Archived, await Get<RecordingArchiver>().ArchiveAsync(events.ConversationUuid));
        Assert.Equal(ProcessingStatus.Processed, await _harness.Processor.ProcessAsync(events.ConversationUuid));
        return events;
    }

    /// <summary>The campaign's aggregate rows (hours, days, months): everything but per-call rows.</summary>
    private async Task<Dictionary<string, string>> AggregatesAsync(string campaignId)
    {
        var rows = new Dictionary<string, string>();
        await foreach (var row in azurite.TableService().GetTableClient(StorageNames.CampaignStatsTable)
                           .QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {campaignId}")))
        {
            if (row.ContainsKey("CallId") || row.ContainsKey("Entry"))
            {
                continue; // per-call rows
            }

            rows[row.RowKey] = string.Join(";", row.Where(p => !p.Key.StartsWith("odata", StringComparison.Ordinal) && p.Key != "Timestamp")
                .OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)}"));
        }

        return rows;
    }

    [Fact]
    public async Task Export_holds_every_row_the_scan_finds_and_erasure_leaves_no_trace_of_the_number()
    {
        var campaign = await _harness.CreateCampaignAsync();
        var caller = "+4479" + Random.Shared.Next(10_000_000, 99_999_999);
        var digits = TestNumbers.Digits(caller);
        var first = await CallAsync(campaign, caller);
        var second = await CallAsync(campaign, caller);
        var other = await CallAsync(campaign, "+4479" + Random.Shared.Next(10_000_000, 99_999_999));
        var aggregatesBefore = await AggregatesAsync(campaign.Id);
        var service = Get<CallerDataService>();

        // Export: every row holding the number (as the scan finds it) is in the document.
        var before = await StorageScan.FindAsync(azurite, digits);
        Assert.NotEmpty(before);
        var export = await service.ExportAsync(caller);
        var exported = JsonSerializer.Serialize(export);
        foreach (var hit in before)
        {
            Assert.True(exported.Contains(JsonSerializer.Serialize(hit.Partition), StringComparison.Ordinal)
                && exported.Contains(JsonSerializer.Serialize(hit.Row), StringComparison.Ordinal), $"{hit} is not in the export");
        }

        Assert.Equal(2, export.Calls.Count);
        Assert.Equal(2, export.Recordings.Count);
        Assert.NotEmpty(export.Events);
        Assert.NotEmpty(export.Profile);
        Assert.NotEmpty(export.ReportRows);
        Assert.NotEmpty(export.Deliveries);

        // Erase.
        var result = await service.EraseAsync("00" + digits, "test: ticket 42");
        Assert.Equal(2, result.Calls);
        Assert.Equal(2, result.RecordingsDeleted);
        Assert.StartsWith("tok_", result.CallerToken, StringComparison.Ordinal);
        Assert.Contains(result.ThirdParties, t => t.Service == "mixpanel" && t.Status == "profile deleted");
        Assert.Contains(result.ThirdParties, t => t.Service == "segment" && t.Status.Contains("contact them", StringComparison.Ordinal));
        Assert.Contains(result.ThirdParties, t => t.Service == "impact.com" && t.Ids.Any(id => id.Contains(first.ConversationUuid, StringComparison.Ordinal)));

        var delete = Assert.Single(_harness.Stub.RequestsTo(ForwardingHarness.MixpanelEngage), r => r.Body.Contains("$delete", StringComparison.Ordinal));
        var update = delete.Json()[0];
        Assert.Equal(caller, update.GetProperty("$distinct_id").GetString());
        Assert.Equal(ForwardingHarness.MixpanelToken, update.GetProperty("$token").GetString());
        Assert.True(update.TryGetProperty("$delete", out _));

        Assert.Empty(await StorageScan.FindAsync(azurite, digits));
        Assert.Equal(aggregatesBefore, await AggregatesAsync(campaign.Id));
        await Assert.ThrowsAsync<NotFoundException>(() => Get<RecordingLinks>().PlaybackUriAsync(first.ConversationUuid));
        Assert.NotNull(await Get<RecordingLinks>().PlaybackUriAsync(other.ConversationUuid)); // another caller's stays

        // Late webhooks of an erased call (a retried completed event, the recording again) bring nothing back.
        var intake = Get<CallIntake>();
        await intake.HandleEventAsync(Utf8(second.Inbound("completed", 70, CallEvents.Billing(0.2, 70, "0.00500000"))));
        await intake.HandleRecordingAsync(Utf8(RecordingWebhook(second.ConversationUuid, "/v1/files/" + Guid.NewGuid())));
        Assert.Equal(ArchiveOutcome.NothingToArchive, await Get<RecordingArchiver>().ArchiveAsync(second.ConversationUuid));
        Assert.Empty(await StorageScan.FindAsync(azurite, digits));
        var call = await Get<CallStore>().GetAsync(second.ConversationUuid);
        Assert.Null(call!.CallerNumber);
        Assert.Equal(result.CallerToken, call.CallerToken);
        Assert.Equal(aggregatesBefore, await AggregatesAsync(campaign.Id));

        // Idempotent: again, nothing left to erase; each request is audited, by token only.
        var again = await service.EraseAsync(caller, "test: again");
        Assert.Equal(0, again.Calls);
        Assert.Equal(result.CallerToken, again.CallerToken);
        var audit = new List<TableEntity>();
        await foreach (var row in azurite.TableService().GetTableClient(StorageNames.PrivacyAuditTable)
                           .QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"CallerToken eq {result.CallerToken}")))
        {
            audit.Add(row);
        }

        Assert.Equal(2, audit.Count);
        Assert.Contains(audit, a => a.GetString("ErasedBy")!.Contains("ticket 42", StringComparison.Ordinal));
        Assert.Empty((await service.ExportAsync(caller)).Calls);
    }

    [Fact]
    public async Task Raw_events_stored_before_they_moved_into_Calls_are_exported_and_erased_with_the_new_ones()
    {
        var campaign = await _harness.CreateCampaignAsync();
        var caller = "+4479" + Random.Shared.Next(10_000_000, 99_999_999);
        var digits = TestNumbers.Digits(caller);
        var call = await CallAsync(campaign, caller);
        var tables = azurite.TableService();
        var newRows = await StoredCallRows.EventsAsync(tables, call.ConversationUuid);
        Assert.NotEmpty(newRows);

        // A row an earlier version wrote to CallEvents (unmasked, as some did): its digits must be found and go.
        await tables.GetTableClient(StorageNames.CallEventsTable).AddEntityAsync(
            new TableEntity(call.ConversationUuid, "2026-03-01T11:59:59.0000000Z|legacy|started") { ["Body"] = $$"""{"from":"{{digits}}"}""" });
        var service = Get<CallerDataService>();

        var export = await service.ExportAsync(caller);
        Assert.Equal(newRows.Count + 1, export.Events.Count);
        Assert.Contains(export.Events, e => (string?)e["RowKey"] == "2026-03-01T11:59:59.0000000Z|legacy|started");
        Assert.All(newRows, r => Assert.Contains(export.Events, e => (string?)e["RowKey"] == r.RowKey));

        var result = await service.EraseAsync(caller, "test: legacy rows");

        Assert.Equal(newRows.Count + 1, result.EventRowsDeleted);
        Assert.Empty(await StoredCallRows.EventsAsync(tables, call.ConversationUuid));
        Assert.Single(await StoredCallRows.LedgerAsync(tables, call.ConversationUuid)); // the tombstone stays
        Assert.Empty(await StorageScan.FindAsync(azurite, digits));
    }

    [Fact]
    public async Task A_number_that_is_not_one_is_a_validation_error_naming_the_field()
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => Get<CallerDataService>().EraseAsync("not-a-number", "test"));
        Assert.Equal("number", Assert.Single(error.Errors).Field);
    }
}

using System.Text;
using Azure.Storage.Queues;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Recordings;
using CallTracking.Functions.Reporting;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Reporting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static CallTracking.Tests.Processing.ForwardingHarness;

namespace CallTracking.Tests.Processing;

/// <summary>
/// Issue 13's "exactly once, for real": crashes and cancellations between claim and result, claims held by another
/// invocation, timeouts at a sink that does not deduplicate, late recordings, and the failed-delivery replay.
/// </summary>
[Collection(AzuriteCollection.Name)]
public class ExactlyOnceTests(AzuriteFixture azurite)
{
    private const string ImpactOk = "{\"Status\":\"OK\"}";

    [Fact]
    public async Task A_send_cancelled_between_claim_and_result_releases_its_claim_and_the_redelivery_delivers_once()
    {
        await using var harness = await StartAsync(azurite);
        harness.Stub.On("POST", SegmentTrack, new StubResponse(200, "{\"success\":true}", Delay: TimeSpan.FromSeconds(5)),
            StubResponse.Json(200, "{\"success\":true}"));
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        // The host shuts down (the invocation's token is cancelled) while Segment has the request.
        using var shutdown = new CancellationTokenSource();
        var processing = harness.Processor.ProcessAsync(call.PartitionKey, shutdown.Token);
        await WaitUntilAsync(() => harness.Stub.RequestsTo(SegmentTrack).Count == 1);
        await shutdown.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => processing);

        var released = await harness.LedgerAsync(call.PartitionKey);
        Assert.Equal(DeliveryStatus.Pending, released["segment"].StatusValue);
        Assert.Null(released["segment"].ClaimedUntil); // released, not left to expire
        Assert.Contains("interrupted", released["segment"].LastError);
        Assert.All(released.Values.Where(r => r.RowKey != "segment"), r => Assert.Equal(DeliveryStatus.Delivered, r.StatusValue));

        // The redelivery does not wait for the claim nor throw: it sends Segment the same messageId once more.
        Assert.Equal(ProcessingStatus.Processed, await harness.Processor.ProcessAsync(call.PartitionKey));
        var ledger = await harness.LedgerAsync(call.PartitionKey);
        Assert.All(ledger.Values, r => Assert.Equal(DeliveryStatus.Delivered, r.StatusValue));
        var segment = harness.Stub.RequestsTo(SegmentTrack);
        Assert.Equal(2, segment.Count);
        Assert.Equal(segment[0].Json().GetProperty("messageId").GetString(), segment[1].Json().GetProperty("messageId").GetString());
        Assert.Single(harness.Stub.RequestsTo(MixpanelTrack));
        Assert.Single(harness.Stub.RequestsTo(MixpanelEngage));
        Assert.Single(harness.Stub.RequestsTo(ImpactLogCallData));
    }

    [Fact]
    public async Task A_claim_left_by_a_crashed_invocation_requeues_the_message_with_a_delay_and_then_delivers_once_without_poison()
    {
        await using var harness = await StartAsync(azurite);
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));
        var callId = call.PartitionKey;

        // What a process killed between claim and result leaves: a pending row claimed for a while longer.
        await harness.Processor.ProcessAsync(callId);
        var crashed = (await harness.LedgerAsync(callId))["impact"];
        crashed.Status = nameof(DeliveryStatus.Pending);
        crashed.DeliveredAt = null;
        crashed.ClaimedUntil = DateTimeOffset.UtcNow.AddSeconds(3);
        Assert.True(await harness.Ledger.TrySaveAsync([crashed]));
        var queue = azurite.QueueService().GetQueueClient(StorageNames.CallsCompletedQueue);
        await queue.CreateIfNotExistsAsync();

        // The redelivery finds the claim fresh: no throw (which would burn a dequeue towards poison), a delayed message.
        Assert.Equal(ProcessingStatus.Processed, await harness.Processor.ProcessAsync(callId));
        Assert.Single(harness.Stub.RequestsTo(ImpactLogCallData));
        Assert.DoesNotContain(callId, await PeekAllAsync(queue)); // invisible until the claim has ended

        var requeued = await ReceiveAsync(queue, callId);
        Assert.Equal(ProcessingStatus.Processed, await harness.Processor.ProcessAsync(requeued.CallId));
        Assert.Equal(2, harness.Stub.RequestsTo(ImpactLogCallData).Count); // the crashed send's outcome was never recorded
        var ledger = await harness.LedgerAsync(callId);
        Assert.All(ledger.Values, r => Assert.Equal(DeliveryStatus.Delivered, r.StatusValue));
        Assert.Single(harness.Stub.RequestsTo(SegmentTrack));
        Assert.Single(harness.Stub.RequestsTo(MixpanelTrack));
    }

    [Fact]
    public async Task Duplicate_messages_at_once_never_throw_the_losers_requeue_and_each_sink_has_the_call_once()
    {
        await using var harness = await StartAsync(azurite);
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => harness.Processor.ProcessAsync(call.PartitionKey)));

        Assert.All(runs, r => Assert.Equal(ProcessingStatus.Processed, r));
        Assert.Single(harness.Stub.RequestsTo(MixpanelTrack));
        Assert.Single(harness.Stub.RequestsTo(MixpanelEngage));
        Assert.Single(harness.Stub.RequestsTo(ImpactLogCallData));
        Assert.Single(harness.Stub.RequestsTo(SegmentTrack));
    }

    [Fact]
    public async Task A_post_timing_out_at_impact_is_not_re_sent_while_a_timeout_at_segment_is_retried()
    {
        await using var harness = await StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Forwarding:AttemptTimeoutSeconds"] = "1",
            ["Forwarding:TotalTimeoutSeconds"] = "6",
        });
        harness.Stub.On("POST", ImpactLogCallData, new StubResponse(200, ImpactOk, Delay: TimeSpan.FromSeconds(3)));
        harness.Stub.On("POST", SegmentTrack, new StubResponse(200, "{\"success\":true}", Delay: TimeSpan.FromSeconds(3)),
            StubResponse.Json(200, "{\"success\":true}"));
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        await harness.Processor.ProcessAsync(call.PartitionKey); // nothing left to retry: no throw
        await harness.Processor.ProcessAsync(call.PartitionKey);

        Assert.Single(harness.Stub.RequestsTo(ImpactLogCallData));
        var impact = (await harness.LedgerAsync(call.PartitionKey))["impact"];
        Assert.Equal(DeliveryStatus.Failed, impact.StatusValue);
        Assert.Contains("outcome unknown", impact.LastError);
        Assert.DoesNotContain(ImpactToken, impact.LastError);

        // Segment deduplicates on messageId: its timed-out attempt was retried within the client.
        Assert.Equal(2, harness.Stub.RequestsTo(SegmentTrack).Count);
        Assert.Equal(DeliveryStatus.Delivered, (await harness.LedgerAsync(call.PartitionKey))["segment"].StatusValue);
    }

    [Fact]
    public async Task A_failed_delivery_is_re_sent_by_the_failed_replay_after_the_token_is_fixed_and_only_to_that_sink()
    {
        await using var harness = await StartAsync(azurite);
        harness.Stub.On("POST", ImpactLogCallData, StubResponse.Json(401, "{\"Message\":\"bad credentials\"}"));
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));
        var callId = call.PartitionKey;
        await harness.Processor.ProcessAsync(callId);
        Assert.Equal(DeliveryStatus.Failed, (await harness.LedgerAsync(callId))["impact"].StatusValue);

        var replayer = harness.Services.GetRequiredService<FailedDeliveryReplayer>();
        await Assert.ThrowsAsync<NotFoundException>(() => replayer.ReplayAsync(callId, "segment")); // delivered: never re-sent
        await Assert.ThrowsAsync<NotFoundException>(() => replayer.ReplayAsync("CON-" + Guid.NewGuid(), null));

        harness.Stub.On("POST", ImpactLogCallData, StubResponse.Json(200, ImpactOk)); // the operator fixed the token
        var result = await replayer.ReplayAsync(callId, "impact");
        Assert.Equal(["impact"], result.Reopened);
        await Assert.ThrowsAsync<NotFoundException>(() => replayer.ReplayAsync(callId, "impact")); // once

        var queue = azurite.QueueService().GetQueueClient(StorageNames.CallsCompletedQueue);
        var message = await ReceiveAsync(queue, callId);
        await harness.Processor.ProcessAsync(message.CallId);
        await harness.Processor.ProcessAsync(message.CallId);

        Assert.Equal(2, harness.Stub.RequestsTo(ImpactLogCallData).Count);
        var impact = (await harness.LedgerAsync(callId))["impact"];
        Assert.Equal(DeliveryStatus.Delivered, impact.StatusValue);
        Assert.Equal(2, impact.Attempts);
        Assert.Single(harness.Stub.RequestsTo(MixpanelTrack));
        Assert.Single(harness.Stub.RequestsTo(SegmentTrack));
    }

    [Fact]
    public async Task A_recording_that_arrives_after_processing_reaches_the_reports_and_one_impact_update()
    {
        await using var harness = await StartAsync(azurite);
        var campaign = await harness.CreateCampaignAsync();
        var record = AnsweredCall(campaign);
        record.RecordingUrl = null;
        var call = await harness.AddCallAsync(record);
        var callId = call.PartitionKey;
        await harness.Processor.ProcessAsync(callId);
        Assert.False(Assert.Single(harness.Stub.RequestsTo(ImpactLogCallData)).Form().ContainsKey("CallRecording"));

        const string url = "https://api.nexmo.com/v1/files/11111111-2222-3333-4444-555555555555";
        var webhook = Encoding.UTF8.GetBytes($$"""
            {"start_time":"2026-03-02T09:30:01.000Z","end_time":"2026-03-02T09:31:35.000Z","recording_url":"{{url}}",
             "recording_uuid":"rec-late","size":"482304","conversation_uuid":"{{callId}}","timestamp":"2026-03-02T09:45:00.000Z"}
            """);
        var intake = harness.Services.GetRequiredService<CallIntake>();
        await intake.HandleRecordingAsync(webhook);

        var queue = azurite.QueueService().GetQueueClient(StorageNames.CallsCompletedQueue);
        var message = await ReceiveAsync(queue, callId);
        await harness.Processor.ProcessAsync(message.CallId);
        await harness.Processor.ProcessAsync(message.CallId); // a duplicate changes nothing

        var impact = harness.Stub.RequestsTo(ImpactLogCallData);
        Assert.Equal(2, impact.Count);
        Assert.Equal(url, impact[1].Form()["CallRecording"]);
        Assert.Equal(callId, impact[1].Form()["VendorEventId"]);
        Assert.Equal(url, (await harness.LedgerAsync(callId))["impact"].SentRecordingUrl);
        // The others do not carry the recording as an update: not re-sent.
        Assert.Single(harness.Stub.RequestsTo(MixpanelTrack));
        Assert.Single(harness.Stub.RequestsTo(MixpanelEngage));
        Assert.Single(harness.Stub.RequestsTo(SegmentTrack));

        var page = await harness.Services.GetRequiredService<CallRecordsService>().GetPageAsync(
            CampaignStatsTests.Query(harness.Services, $"from=2026-03-02&to=2026-03-02&campaign={campaign.Id}"), default);
        // Records point to our archived copy, not Vonage's expiring URL.
        Assert.Equal(RecordingLinks.PublishedUrl(null, callId), Assert.Single(page.Items).RecordingUrl);
        var range = ReportRange.Parse("2026-03-02", "2026-03-02", "UTC", StartOfCall.AddDays(1));
        var stats = await harness.Services.GetRequiredService<CampaignStatsService>().GetAsync(campaign.Id, range, default);
        Assert.Equal(1, stats.Calls); // re-processed, counted once
    }

    [Fact]
    public async Task Mixpanel_people_updates_are_idempotent_so_a_re_sent_update_cannot_count_twice()
    {
        await using var harness = await StartAsync(azurite);
        var campaign = await harness.CreateCampaignAsync();
        var caller = "+4420718" + Random.Shared.Next(10000, 99999);
        var first = AnsweredCall(campaign, caller);
        var second = AnsweredCall(campaign, caller);
        second.InboundStartTime = StartOfCall.AddHours(2);
        second.AnsweredAt = StartOfCall.AddHours(2);
        await harness.AddCallAsync(first);
        await harness.AddCallAsync(second);

        await harness.Processor.ProcessAsync(first.PartitionKey);
        await harness.Processor.ProcessAsync(second.PartitionKey);

        var updates = harness.Stub.RequestsTo(MixpanelEngage).SelectMany(r => r.Json().EnumerateArray().ToList()).ToList();
        Assert.DoesNotContain(updates, u => u.TryGetProperty("$add", out _) || u.TryGetProperty("$append", out _));
        var sets = updates.Where(u => u.TryGetProperty("$set", out _)).Select(u => u.GetProperty("$set")).ToList();
        Assert.Equal([1, 2], sets.Select(s => s.GetProperty("Number of Calls").GetInt32()));
        Assert.All(sets, s => Assert.Equal("2026-03-02T09:30:00.000Z", s.GetProperty("First Call").GetString()));
        Assert.Equal("2026-03-02T11:30:00.000Z", sets[1].GetProperty("Last Call").GetString());
        var unions = updates.Where(u => u.TryGetProperty("$union", out _)).Select(u => u.GetProperty("$union")).ToList();
        Assert.Equal([first.PartitionKey, second.PartitionKey], unions.Select(u => u.GetProperty("Call Ids")[0].GetString()));
        Assert.Equal(first.PartitionKey, unions[0].GetProperty("$transactions")[0].GetProperty("Call").GetString());
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition());
    }

    private static async Task<CallCompletedMessage> ReceiveAsync(QueueClient queue, string callId)
    {
        await queue.CreateIfNotExistsAsync();
        for (var round = 0; round < 100; round++)
        {
            foreach (var message in (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value)
            {
                var body = message.Body.ToObjectFromJson<CallCompletedMessage>();
                if (body?.CallId == callId)
                {
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    return body;
                }

                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"No calls-completed message for {callId}");
    }

    private static async Task<List<string>> PeekAllAsync(QueueClient queue) =>
        (await queue.PeekMessagesAsync(32)).Value.Select(m => m.Body.ToObjectFromJson<CallCompletedMessage>()?.CallId ?? "").ToList();
}

using System.Text;
using System.Text.Json;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static CallTracking.Tests.Processing.ForwardingHarness;

namespace CallTracking.Tests.Processing;

[Collection(AzuriteCollection.Name)]
public class CallProcessorTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Impact_gets_the_campaigns_optional_fields_unknown_callerid_for_withheld_and_repeat_or_new()
    {
        await using var harness = await StartAsync(azurite);
        var campaign = new Campaign
        {
            Id = TestServices.UniqueId("camp"),
            Name = "Impact extras",
            TrackingNumber = TestNumbers.SanFrancisco(),
            AgentNumber = "+14155550199",
            Impact = new ImpactIds(1234, 567890, 42)
            {
                SubId1 = "partner-a",
                SubId2 = "spring",
                SubId3 = "radio",
                AdId = 998877,
                PromoNumberDescription = "Spring radio spot",
                TrafficSource = "radio",
            },
        };
        await harness.Services.GetRequiredService<CampaignStore>().SaveAsync([campaign]);
        var caller = TestNumbers.UkMobile();
        var withheld = await harness.AddCallAsync(AnsweredCall(campaign, caller: null));
        var first = await harness.AddCallAsync(AnsweredCall(campaign, caller));
        var second = await harness.AddCallAsync(AnsweredCall(campaign, caller));

        foreach (var call in new[] { withheld, first, second })
        {
            Assert.Equal(ProcessingStatus.Processed, await harness.Processor.ProcessAsync(call.PartitionKey));
        }

        var forms = harness.Stub.RequestsTo(ImpactLogCallData).Select(r => r.Form()).ToDictionary(f => f["CallSessionId"]);
        Assert.Equal(3, forms.Count);
        Assert.All(forms.Values, form =>
        {
            Assert.Equal("partner-a", form["SubId1"]);
            Assert.Equal("spring", form["SubId2"]);
            Assert.Equal("radio", form["SubId3"]);
            Assert.Equal("998877", form["AdId"]);
            Assert.Equal("Spring radio spot", form["PromoNumberDescription"]);
            Assert.Equal("radio", form["TrafficSource"]);
            Assert.False(string.IsNullOrEmpty(form["CallerPhoneNumberCountry"]));
        });
        var anonymous = forms[withheld.PartitionKey];
        Assert.Equal("UNKNOWN_CALLERID", anonymous["CallStatus"]);
        Assert.Equal("US", anonymous["CallerPhoneNumberCountry"]); // ours (the tracking number's market), sent explicitly
        Assert.Equal("ANSWER", forms[first.PartitionKey]["CallStatus"]);
        Assert.Equal("GB", forms[first.PartitionKey]["CallerPhoneNumberCountry"]);
        // impact's RepeatCaller is "Repeat vs. New".
        Assert.Equal("New", forms[first.PartitionKey]["RepeatCaller"]);
        Assert.Equal("Repeat", forms[second.PartitionKey]["RepeatCaller"]);
    }

    [Fact]
    public async Task An_answered_call_reaches_every_sink_exactly_once_with_its_outcome_and_durations()
    {
        await using var harness = await StartAsync(azurite);
        var campaign = await harness.CreateCampaignAsync();
        // A caller of its own: a later call of a shared test caller would make this one not the latest (no Last Campaign).
        var caller = TestNumbers.London();
        var call = await harness.AddCallAsync(AnsweredCall(campaign, caller));

        Assert.Equal(ProcessingStatus.Processed, await harness.Processor.ProcessAsync(call.PartitionKey));

        var stored = await harness.Calls.GetAsync(call.PartitionKey);
        Assert.NotNull(stored);
        Assert.Equal(nameof(CallOutcome.Answered), stored.Outcome);
        Assert.Equal(83, stored.TalkSeconds);
        Assert.Equal(95, stored.CallSeconds);
        Assert.Equal(0.0178, stored.CarrierCost!.Value, 6);
        Assert.NotNull(stored.ProcessedAt);

        var track = Assert.Single(harness.Stub.RequestsTo(MixpanelTrack));
        Assert.Equal("1", track.QueryValues()["verbose"]);
        var mixpanelEvent = Assert.Single(track.Json().EnumerateArray().ToList());
        Assert.Equal("Inbound Call", mixpanelEvent.GetProperty("event").GetString());
        var properties = mixpanelEvent.GetProperty("properties");
        Assert.Equal(MixpanelToken, properties.GetProperty("token").GetString());
        Assert.Equal(caller, properties.GetProperty("distinct_id").GetString());
        Assert.Equal(StartOfCall.ToUnixTimeMilliseconds(), properties.GetProperty("time").GetInt64());
        var insertId = properties.GetProperty("$insert_id").GetString()!;
        Assert.True(Encoding.UTF8.GetByteCount(insertId) <= 36);
        Assert.Matches("^[A-Za-z0-9-]+$", insertId);
        Assert.Equal("0", properties.GetProperty("ip").GetString());
        Assert.Equal("Answered", properties.GetProperty("Outcome").GetString());
        Assert.Equal(83, properties.GetProperty("Talk Duration").GetInt32());
        Assert.Equal(95, properties.GetProperty("Call Duration").GetInt32());
        Assert.Equal(0.0178m, properties.GetProperty("Cost").GetDecimal());
        Assert.Equal(campaign.Name, properties.GetProperty("Campaign Name").GetString());
        Assert.Equal(campaign.Id, properties.GetProperty("Campaign Id").GetString());
        Assert.Equal(campaign.TrackingNumber, properties.GetProperty("Tracking Number").GetString());
        Assert.Equal("GB", properties.GetProperty("Caller Country").GetString());
        Assert.Equal(call.PartitionKey, properties.GetProperty("Conversation UUID").GetString());

        var engage = Assert.Single(harness.Stub.RequestsTo(MixpanelEngage));
        var updates = engage.Json().EnumerateArray().ToList();
        var set = Assert.Single(updates, u => u.TryGetProperty("$set", out _)).GetProperty("$set");
        Assert.Equal(caller, set.GetProperty("$phone").GetString());
        Assert.Equal(campaign.Name, set.GetProperty("Last Campaign").GetString());
        // Our profile's count, set (not added): the caller is shared with other tests, so it is the profile's, not 1.
        var profile = await harness.Services.GetRequiredService<CallTracking.Functions.Enrichment.ICallerProfiles>().GetAsync(caller, default);
        Assert.Equal(profile!.CallCount, set.GetProperty("Number of Calls").GetInt32());
        var union = Assert.Single(updates, u => u.TryGetProperty("$union", out _)).GetProperty("$union");
        Assert.Equal(call.PartitionKey, Assert.Single(union.GetProperty("Call Ids").EnumerateArray()).GetString());
        var charge = Assert.Single(union.GetProperty("$transactions").EnumerateArray());
        Assert.Equal(-0.0178m, charge.GetProperty("$amount").GetDecimal());
        Assert.Equal("2026-03-02T09:30:00", charge.GetProperty("$time").GetString());
        Assert.All(updates, u => Assert.Equal(MixpanelToken, u.GetProperty("$token").GetString()));
        Assert.All(updates, u => Assert.Equal(caller, u.GetProperty("$distinct_id").GetString()));

        var impact = Assert.Single(harness.Stub.RequestsTo(ImpactLogCallData));
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ImpactSid}:{ImpactToken}")), impact.Header("Authorization"));
        Assert.StartsWith("application/x-www-form-urlencoded", impact.Header("Content-Type"));
        var form = impact.Form();
        Assert.Equal("ANSWER", form["CallStatus"]);
        Assert.Equal("95", form["CallDuration"]);
        Assert.Equal("83", form["TalkDuration"]);
        Assert.Equal("1234", form["CampaignId"]);
        Assert.Equal("567890", form["MediaId"]);
        Assert.Equal("42", form["ActionTrackerId"]);
        Assert.Equal("2026-03-02T09:30:00Z", form["EventDate"]);
        Assert.Equal("CallTracking", form["CallProvider"]);
        Assert.Equal(call.PartitionKey, form["CallSessionId"]);
        Assert.Equal(call.PartitionKey, form["VendorEventId"]);
        Assert.Equal(TestNumbers.Digits(caller), form["CallerId"]);
        Assert.Equal(campaign.TrackingNumber[2..], form["CalledPhoneNumber"]); // NANP: 10 digits
        Assert.Equal("GB", form["CallerPhoneNumberCountry"]);
        Assert.Equal("US", form["CalledPhoneNumberCountry"]);
        Assert.Equal(call.RecordingUrl, form["CallRecording"]);

        var segment = Assert.Single(harness.Stub.RequestsTo(SegmentTrack));
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(SegmentWriteKey + ":")), segment.Header("Authorization"));
        var track2 = segment.Json();
        Assert.Equal(caller, track2.GetProperty("userId").GetString());
        Assert.Equal("Inbound Call", track2.GetProperty("event").GetString());
        Assert.Equal("inbound-call-" + call.PartitionKey, track2.GetProperty("messageId").GetString());
        Assert.Equal("2026-03-02T09:30:00.000Z", track2.GetProperty("timestamp").GetString());
        Assert.Equal("Answered", track2.GetProperty("properties").GetProperty("outcome").GetString());

        var ledger = await harness.LedgerAsync(call.PartitionKey);
        Assert.Equal(["impact", "mixpanel", "mixpanel-people", "segment"], ledger.Keys.Order(StringComparer.Ordinal));
        Assert.All(ledger.Values, row =>
        {
            Assert.Equal(DeliveryStatus.Delivered, row.StatusValue);
            Assert.Equal(1, row.Attempts);
            Assert.Equal(1, row.HttpRequests);
            Assert.Equal(200, row.LastHttpStatus);
            Assert.NotNull(row.DeliveredAt);
            Assert.Null(row.LastError);
        });
    }

    [Theory]
    [InlineData("busy", null, "connect", CallOutcome.Busy, "CONGESTION")]
    [InlineData("unanswered", "unavailable", "connect", CallOutcome.Unanswered, "INCOMPLETE")]
    [InlineData("timeout", null, "connect", CallOutcome.Timeout, "INCOMPLETE")]
    [InlineData("rejected", "declined", "connect", CallOutcome.Rejected, "FAILURE")]
    [InlineData("failed", "cannot_route", "connect", CallOutcome.Failed, "FAILURE")]
    [InlineData("cancelled", null, "connect", CallOutcome.Abandoned, "CANCEL")]
    [InlineData("ringing", null, "connect", CallOutcome.Abandoned, "CANCEL")]
    [InlineData(null, null, "out-of-hours", CallOutcome.NotConnected, "NO_TRANSFER_ATTEMPT")]
    public async Task A_missed_call_is_forwarded_with_its_outcome_and_never_as_answered(
        string? agentStatus, string? detail, string route, CallOutcome expected, string impactStatus)
    {
        await using var harness = await StartAsync(azurite);
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(MissedCall(campaign, agentStatus, detail, route));

        await harness.Processor.ProcessAsync(call.PartitionKey);

        Assert.Equal(expected.ToString(), (await harness.Calls.GetAsync(call.PartitionKey))!.Outcome);
        var form = Assert.Single(harness.Stub.RequestsTo(ImpactLogCallData)).Form();
        Assert.Equal(impactStatus, form["CallStatus"]);
        Assert.Equal("0", form["TalkDuration"]);
        Assert.Equal("30", form["CallDuration"]);
        var properties = Assert.Single(harness.Stub.RequestsTo(MixpanelTrack)).Json()[0].GetProperty("properties");
        Assert.Equal(expected.ToString(), properties.GetProperty("Outcome").GetString());
        Assert.False(properties.GetProperty("Answered").GetBoolean());
        Assert.Equal(0, properties.GetProperty("Talk Duration").GetInt32());
    }

    [Fact]
    public async Task Processing_the_same_message_again_sends_nothing_and_keeps_the_first_results()
    {
        await using var harness = await StartAsync(azurite);
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        await harness.Processor.ProcessAsync(call.PartitionKey);
        var first = await harness.Calls.GetAsync(call.PartitionKey);
        await harness.Processor.ProcessAsync(call.PartitionKey);
        await harness.Processor.ProcessAsync(call.PartitionKey);

        Assert.Equal(4, harness.Stub.Requests.Count);
        var again = await harness.Calls.GetAsync(call.PartitionKey);
        Assert.Equal(first!.ProcessedAt, again!.ProcessedAt);
        Assert.Equal(first.ETag, again.ETag); // not rewritten
        Assert.All((await harness.LedgerAsync(call.PartitionKey)).Values, row => Assert.Equal(1, row.Attempts));
    }

    [Fact]
    public async Task Duplicate_messages_processed_at_once_reach_each_sink_once()
    {
        await using var harness = await StartAsync(azurite);
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            try
            {
                await harness.Processor.ProcessAsync(call.PartitionKey);
                return (Exception?)null;
            }
            catch (DeliveryIncompleteException ex)
            {
                return ex; // "another processor is delivering": the queue would retry it later
            }
        }));

        Assert.Contains(runs, r => r is null);
        Assert.Single(harness.Stub.RequestsTo(MixpanelTrack));
        Assert.Single(harness.Stub.RequestsTo(MixpanelEngage));
        Assert.Single(harness.Stub.RequestsTo(ImpactLogCallData));
        Assert.Single(harness.Stub.RequestsTo(SegmentTrack));

        // The retried duplicates find everything delivered.
        await harness.Processor.ProcessAsync(call.PartitionKey);
        Assert.Equal(4, harness.Stub.Requests.Count);
    }

    [Fact]
    public async Task Retries_within_the_http_client_deliver_once_and_the_ledger_counts_the_requests()
    {
        await using var harness = await StartAsync(azurite);
        harness.Stub.On("POST", MixpanelTrack, StubResponse.Json(500, "{}"), StubResponse.Json(500, "{}"), StubResponse.Json(200, MixpanelOk));
        harness.Stub.On("POST", ImpactLogCallData, StubResponse.RetryAfter(2), StubResponse.Json(200, "{\"Status\":\"OK\"}"));
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        await harness.Processor.ProcessAsync(call.PartitionKey);

        Assert.Equal(3, harness.Stub.RequestsTo(MixpanelTrack).Count);
        var impactRequests = harness.Stub.RequestsTo(ImpactLogCallData);
        Assert.Equal(2, impactRequests.Count);
        // Retry-After (2 s) was honoured, not the 20 ms back-off.
        Assert.True(impactRequests[1].ReceivedAt - impactRequests[0].ReceivedAt >= TimeSpan.FromSeconds(1.5));
        Assert.Equal(impactRequests[0].Body, impactRequests[1].Body);

        var ledger = await harness.LedgerAsync(call.PartitionKey);
        Assert.Equal(DeliveryStatus.Delivered, ledger["mixpanel"].StatusValue);
        Assert.Equal(3, ledger["mixpanel"].HttpRequests);
        Assert.Equal(DeliveryStatus.Delivered, ledger["impact"].StatusValue);
        Assert.Equal(2, ledger["impact"].HttpRequests);

        await harness.Processor.ProcessAsync(call.PartitionKey);
        Assert.Equal(3, harness.Stub.RequestsTo(MixpanelTrack).Count);
        Assert.Equal(2, harness.Stub.RequestsTo(ImpactLogCallData).Count);
    }

    [Fact]
    public async Task A_failure_that_outlasts_the_http_retries_fails_the_invocation_and_the_redelivery_sends_only_that_sink()
    {
        await using var harness = await StartAsync(azurite, new Dictionary<string, string?> { ["Forwarding:MaxRetryAttempts"] = "1" });
        harness.Stub.On("POST", MixpanelTrack, StubResponse.Json(500, "{}"), StubResponse.Json(500, "{}"), StubResponse.Json(200, MixpanelOk));
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        var failure = await Assert.ThrowsAsync<DeliveryIncompleteException>(() => harness.Processor.ProcessAsync(call.PartitionKey));
        Assert.Equal(["mixpanel"], failure.Sinks);
        var afterFirst = await harness.LedgerAsync(call.PartitionKey);
        Assert.Equal(DeliveryStatus.Pending, afterFirst["mixpanel"].StatusValue);
        Assert.Equal(1, afterFirst["mixpanel"].Attempts);
        Assert.Equal(500, afterFirst["mixpanel"].LastHttpStatus);
        Assert.Contains("HTTP 500", afterFirst["mixpanel"].LastError);
        Assert.Null(afterFirst["mixpanel"].ClaimedUntil);

        await harness.Processor.ProcessAsync(call.PartitionKey); // the queue's redelivery

        var ledger = await harness.LedgerAsync(call.PartitionKey);
        Assert.Equal(DeliveryStatus.Delivered, ledger["mixpanel"].StatusValue);
        Assert.Equal(2, ledger["mixpanel"].Attempts);
        Assert.Equal(3, ledger["mixpanel"].HttpRequests);
        Assert.Null(ledger["mixpanel"].LastError);
        Assert.Single(harness.Stub.RequestsTo(MixpanelEngage));
        Assert.Single(harness.Stub.RequestsTo(ImpactLogCallData));
        Assert.Single(harness.Stub.RequestsTo(SegmentTrack));
    }

    [Fact]
    public async Task A_call_is_counted_in_the_reports_even_while_a_sink_keeps_failing_it()
    {
        await using var harness = await StartAsync(azurite, new Dictionary<string, string?> { ["Forwarding:MaxRetryAttempts"] = "1" });
        harness.Stub.On("POST", SegmentTrack, StubResponse.Json(503, "{\"error\":\"down\"}"));
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        await Assert.ThrowsAsync<DeliveryIncompleteException>(() => harness.Processor.ProcessAsync(call.PartitionKey));
        await Assert.ThrowsAsync<DeliveryIncompleteException>(() => harness.Processor.ProcessAsync(call.PartitionKey));

        // Reporting runs before forwarding, so the retries cannot hold the call back from the stats, nor count it twice.
        var range = ReportRange.Parse("2026-03-02", "2026-03-02", "UTC", StartOfCall.AddDays(1));
        var stats = await harness.Services.GetRequiredService<CampaignStatsService>().GetAsync(campaign.Id, range, default);
        Assert.Equal((1, 1, 83), (stats.Calls, stats.Answered, stats.TalkSeconds));
        Assert.Equal(0.0178m, stats.CarrierCost);
    }

    [Fact]
    public async Task Mixpanel_status_0_with_http_200_is_a_permanent_failure_that_is_not_retried()
    {
        await using var harness = await StartAsync(azurite);
        harness.Stub.On("POST", MixpanelTrack, StubResponse.Json(200, "{\"status\":0,\"error\":\"token, missing or empty\"}"));
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        await harness.Processor.ProcessAsync(call.PartitionKey); // no throw: nothing left to retry
        await harness.Processor.ProcessAsync(call.PartitionKey);

        Assert.Single(harness.Stub.RequestsTo(MixpanelTrack));
        var row = (await harness.LedgerAsync(call.PartitionKey))["mixpanel"];
        Assert.Equal(DeliveryStatus.Failed, row.StatusValue);
        Assert.Equal(1, row.Attempts);
        Assert.Contains("token, missing or empty", row.LastError);
    }

    [Fact]
    public async Task A_permanent_4xx_is_recorded_as_failed_without_the_secret_it_echoes()
    {
        await using var harness = await StartAsync(azurite);
        harness.Stub.On("POST", ImpactLogCallData, StubResponse.Json(401, $"{{\"Message\":\"bad credentials for {ImpactSid}:{ImpactToken}\"}}"));
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        await harness.Processor.ProcessAsync(call.PartitionKey);
        await harness.Processor.ProcessAsync(call.PartitionKey);

        Assert.Single(harness.Stub.RequestsTo(ImpactLogCallData));
        var row = (await harness.LedgerAsync(call.PartitionKey))["impact"];
        Assert.Equal(DeliveryStatus.Failed, row.StatusValue);
        Assert.Equal(401, row.LastHttpStatus);
        Assert.DoesNotContain(ImpactToken, row.LastError);
        Assert.DoesNotContain(ImpactSid, row.LastError);
        Assert.Contains("***", row.LastError);
    }

    [Fact]
    public async Task A_sink_down_for_good_fails_every_invocation_then_replay_after_recovery_delivers_it_exactly_once()
    {
        await using var harness = await StartAsync(azurite, new Dictionary<string, string?> { ["Forwarding:MaxRetryAttempts"] = "1" });
        harness.Stub.On("POST", SegmentTrack, StubResponse.Json(503, "{\"error\":\"down\"}"));
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));
        var callId = call.PartitionKey;

        // The host redelivers up to maxDequeueCount times, then moves the message to the poison queue.
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            await Assert.ThrowsAsync<DeliveryIncompleteException>(() => harness.Processor.ProcessAsync(callId));
        }

        var failing = (await harness.LedgerAsync(callId))["segment"];
        Assert.Equal(DeliveryStatus.Pending, failing.StatusValue);
        Assert.Equal(5, failing.Attempts);
        Assert.Equal(10, failing.HttpRequests);
        Assert.Equal(503, failing.LastHttpStatus);

        var queues = azurite.QueueService();
        var poison = queues.GetQueueClient(CallTracking.Functions.Common.StorageNames.CallsCompletedPoisonQueue);
        await poison.CreateIfNotExistsAsync();
        await poison.SendMessageAsync(BinaryData.FromObjectAsJson(new CallCompletedMessage(callId)));
        var otherCall = "CON-" + Guid.NewGuid();
        await poison.SendMessageAsync(BinaryData.FromObjectAsJson(new CallCompletedMessage(otherCall)));

        harness.Stub.On("POST", SegmentTrack, StubResponse.Json(200, "{\"success\":true}"));
        var replay = await harness.Services.GetRequiredService<PoisonReplayer>().ReplayAsync(callId);
        Assert.Equal(1, replay.Moved);

        // The replayed message is back on calls-completed; the host would hand it to the processor.
        var queue = queues.GetQueueClient(CallTracking.Functions.Common.StorageNames.CallsCompletedQueue);
        var replayed = await ReceiveAsync(queue, callId);
        Assert.Equal(ProcessingStatus.Processed, await harness.Processor.ProcessAsync(replayed.CallId));

        Assert.Equal(11, harness.Stub.RequestsTo(SegmentTrack).Count); // 10 failed + exactly one delivery
        Assert.Single(harness.Stub.RequestsTo(MixpanelTrack));
        Assert.Single(harness.Stub.RequestsTo(MixpanelEngage));
        Assert.Single(harness.Stub.RequestsTo(ImpactLogCallData));
        var delivered = (await harness.LedgerAsync(callId))["segment"];
        Assert.Equal(DeliveryStatus.Delivered, delivered.StatusValue);
        Assert.Equal(6, delivered.Attempts);

        // Only the asked-for call left the poison queue.
        var remaining = await PeekAllAsync(poison);
        Assert.Contains(otherCall, remaining);
        Assert.DoesNotContain(callId, remaining);
        await harness.Services.GetRequiredService<PoisonReplayer>().ReplayAsync(otherCall);
        await ReceiveAsync(queue, otherCall);
        Assert.Equal(ProcessingStatus.CallNotFound, await harness.Processor.ProcessAsync(otherCall));
    }

    [Fact]
    public async Task Replay_of_the_watchdog_queue_moves_that_call_s_check_back_to_calls_watchdog_only()
    {
        await using var harness = await StartAsync(azurite);
        var callId = "CON-" + Guid.NewGuid();
        var queues = azurite.QueueService();
        var poison = queues.GetQueueClient(StorageNames.PoisonQueue(StorageNames.CallsWatchdogQueue));
        await poison.CreateIfNotExistsAsync();
        await poison.SendMessageAsync(BinaryData.FromObjectAsJson(new CallWatchdogMessage(callId)));

        var replay = await harness.Services.GetRequiredService<PoisonReplayer>().ReplayAsync(StorageNames.CallsWatchdogQueue, callId);

        Assert.Equal((1, callId, "calls-watchdog"), (replay.Moved, replay.CallId, replay.Queue));
        await ReceiveAsync(queues.GetQueueClient(StorageNames.CallsWatchdogQueue), callId);
        Assert.DoesNotContain(callId, await PeekAllAsync(poison));
        Assert.DoesNotContain(callId, await PeekAllAsync(queues.GetQueueClient(StorageNames.CallsCompletedQueue)));
    }

    [Fact]
    public async Task Replay_of_the_callbacks_queue_moves_that_missed_call_s_attempt_back_to_callbacks()
    {
        await using var harness = await StartAsync(azurite);
        var callId = "CON-" + Guid.NewGuid();
        var queues = azurite.QueueService();
        var poison = queues.GetQueueClient(StorageNames.PoisonQueue(StorageNames.CallbacksQueue));
        await poison.CreateIfNotExistsAsync();
        await poison.SendMessageAsync(BinaryData.FromObjectAsJson(new CallTracking.Functions.Callbacks.CallbackMessage(callId, 2)));

        var replay = await harness.Services.GetRequiredService<PoisonReplayer>().ReplayAsync(StorageNames.CallbacksQueue, callId);

        Assert.Equal((1, callId, "callbacks"), (replay.Moved, replay.CallId, replay.Queue));
        var waiting = (await queues.GetQueueClient(StorageNames.CallbacksQueue).PeekMessagesAsync(32)).Value
            .Select(m => m.Body.ToObjectFromJson<CallTracking.Functions.Callbacks.CallbackMessage>());
        Assert.Contains(new CallTracking.Functions.Callbacks.CallbackMessage(callId, 2), waiting); // the same attempt, unchanged
        Assert.DoesNotContain((await poison.PeekMessagesAsync(32)).Value, m => m.Body.ToString().Contains(callId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_withheld_caller_gets_an_anonymous_id_and_no_profile()
    {
        await using var harness = await StartAsync(azurite);
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign, caller: null));

        await harness.Processor.ProcessAsync(call.PartitionKey);

        var distinctId = Assert.Single(harness.Stub.RequestsTo(MixpanelTrack)).Json()[0].GetProperty("properties").GetProperty("distinct_id").GetString();
        Assert.Equal("withheld-" + call.PartitionKey, distinctId);
        Assert.Empty(harness.Stub.RequestsTo(MixpanelEngage));
        Assert.Equal("anonymous", Assert.Single(harness.Stub.RequestsTo(ImpactLogCallData)).Form()["CallerId"]);
        var segment = Assert.Single(harness.Stub.RequestsTo(SegmentTrack)).Json();
        Assert.Equal(distinctId, segment.GetProperty("anonymousId").GetString());
        Assert.False(segment.TryGetProperty("userId", out _));
        var people = (await harness.LedgerAsync(call.PartitionKey))["mixpanel-people"];
        Assert.Equal(DeliveryStatus.Skipped, people.StatusValue);
        Assert.Equal(0, people.Attempts);
    }

    [Fact]
    public async Task Campaigns_without_impact_ids_and_unknown_numbers_skip_impact()
    {
        await using var harness = await StartAsync(azurite);
        var campaign = await harness.CreateCampaignAsync(withImpactIds: false);
        var withoutIds = await harness.AddCallAsync(AnsweredCall(campaign));
        var unknownNumber = AnsweredCall(null);
        unknownNumber.Route = "unknown-number";
        unknownNumber.AgentLegUuid = null;
        unknownNumber.AgentStatus = null;
        unknownNumber.AgentAnsweredAt = null;
        await harness.AddCallAsync(unknownNumber);

        await harness.Processor.ProcessAsync(withoutIds.PartitionKey);
        await harness.Processor.ProcessAsync(unknownNumber.PartitionKey);

        Assert.Empty(harness.Stub.RequestsTo(ImpactLogCallData));
        Assert.Equal(DeliveryStatus.Skipped, (await harness.LedgerAsync(withoutIds.PartitionKey))["impact"].StatusValue);
        Assert.Equal(DeliveryStatus.Skipped, (await harness.LedgerAsync(unknownNumber.PartitionKey))["impact"].StatusValue);
        Assert.Equal(nameof(CallOutcome.NotConnected), (await harness.Calls.GetAsync(unknownNumber.PartitionKey))!.Outcome);
        Assert.Equal(2, harness.Stub.RequestsTo(MixpanelTrack).Count);
    }

    [Fact]
    public async Task A_message_for_an_unknown_call_is_completed_without_sending_anything()
    {
        await using var harness = await StartAsync(azurite);

        Assert.Equal(ProcessingStatus.CallNotFound, await harness.Processor.ProcessAsync("CON-" + Guid.NewGuid()));
        Assert.Empty(harness.Stub.Requests);
    }

    [Fact]
    public async Task Unconfigured_sinks_are_left_out_entirely()
    {
        await using var harness = await StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Impact:AccountSid"] = "",
            ["Impact:AuthToken"] = "",
            ["Segment:WriteKey"] = "",
        });
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        await harness.Processor.ProcessAsync(call.PartitionKey);

        Assert.Equal(["mixpanel", "mixpanel-people"], (await harness.LedgerAsync(call.PartitionKey)).Keys.Order(StringComparer.Ordinal));
        Assert.Empty(harness.Stub.RequestsTo(ImpactLogCallData));
        Assert.Empty(harness.Stub.RequestsTo(SegmentTrack));
    }

    [Fact]
    public async Task Impact_switched_on_without_its_token_skips_the_call_as_not_configured_and_the_others_still_deliver()
    {
        await using var harness = await StartAsync(azurite, new Dictionary<string, string?> { ["Impact:AuthToken"] = "" });
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        Assert.Equal(ProcessingStatus.Processed, await harness.Processor.ProcessAsync(call.PartitionKey));

        var ledger = await harness.LedgerAsync(call.PartitionKey);
        Assert.Equal((DeliveryStatus.Skipped, ImpactSink.NotConfigured), (ledger["impact"].StatusValue, ledger["impact"].LastError));
        Assert.Empty(harness.Stub.RequestsTo(ImpactLogCallData));
        Assert.Equal(DeliveryStatus.Delivered, ledger["mixpanel"].StatusValue);
        Assert.Equal(DeliveryStatus.Delivered, ledger["segment"].StatusValue);
        var problem = Assert.Single(harness.Services.GetRequiredService<SettingsHealth>().Problems);
        Assert.Equal("Impact:AuthToken", problem.Setting);
    }

    [Fact]
    public async Task The_delivery_report_shows_one_calls_ledger_and_null_for_an_unknown_call()
    {
        await using var harness = await StartAsync(azurite);
        harness.Stub.On("POST", SegmentTrack, StubResponse.Json(400, "{\"error\":\"bad\"}"));
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));
        await harness.Processor.ProcessAsync(call.PartitionKey);
        var report = harness.Services.GetRequiredService<DeliveryReport>();

        var deliveries = await report.GetAsync(call.PartitionKey);

        Assert.NotNull(deliveries);
        Assert.Equal("Answered", deliveries.Outcome);
        Assert.Equal(["impact", "mixpanel", "mixpanel-people", "segment"], deliveries.Deliveries.Select(d => d.Sink));
        Assert.Equal(DeliveryStatus.Failed, deliveries.Deliveries.Single(d => d.Sink == "segment").Status);
        var json = JsonSerializer.Serialize(deliveries, CallTracking.Functions.Common.JsonDefaults.Options);
        Assert.Contains("\"status\":\"failed\"", json);
        Assert.Contains("\"lastHttpStatus\":400", json);
        Assert.Null(await report.GetAsync("CON-" + Guid.NewGuid()));
    }

    private static async Task<CallCompletedMessage> ReceiveAsync(Azure.Storage.Queues.QueueClient queue, string callId)
    {
        for (var round = 0; round < 20; round++)
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
        }

        throw new Xunit.Sdk.XunitException($"No message for {callId} on {queue.Name}");
    }

    private static async Task<List<string>> PeekAllAsync(Azure.Storage.Queues.QueueClient queue) =>
        (await queue.PeekMessagesAsync(32)).Value.Select(m => m.Body.ToObjectFromJson<CallCompletedMessage>()?.CallId ?? "").ToList();
}

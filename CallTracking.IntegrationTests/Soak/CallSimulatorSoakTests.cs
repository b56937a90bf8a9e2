using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Reporting;
using CallTracking.Simulator;
using CallTracking.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Xunit;
using Xunit.Abstractions;

namespace CallTracking.Tests.Soak;

/// <summary>
/// A few hundred simulated calls through the real app while the sinks fail for periods and Azurite restarts:
/// nothing is lost and nothing is counted twice.
/// </summary>
[Collection(SoakCollection.Name)]
[Trait("Category", "Soak")]
public sealed class CallSimulatorSoakTests(SoakHostFixture host, ITestOutputHelper output)
{
    private const int Calls = 300;
    private const int Seed = 20261126;

    /// <summary>
    /// Generous: the drain polls and ends as soon as everything is settled; this only bounds a real hang. Longer than
    /// the local host's processing visibility (function timeout + 1 min), after which a message whose receive answer
    /// was lost in the restart becomes visible again.
    /// </summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(10);

    private static readonly SimCampaign[] Campaigns =
    [
        new() { Id = "soak-radio", TrackingNumber = "+442079460101", AgentNumber = "+447700900601", RecordCalls = true, WhisperText = "Radio caller" },
        new() { Id = "soak-tv", TrackingNumber = "+442079460102", AgentNumber = "+447700900602", RingTimeoutSeconds = 20 },
        new() { Id = "soak-web", TrackingNumber = "+14155550142", AgentNumber = "+14155550143", RecordCalls = true },
        // Missed calls of this one are called back: two attempts a minute apart (the shortest interval the app allows).
        new()
        {
            Id = "soak-callback", TrackingNumber = "+442079460104", AgentNumber = "+447700900604",
            Callback = new SimCallbackPolicy { Attempts = 2, IntervalMinutes = 1, OnlyWhenOpen = false },
        },
    ];

    /// <summary>Two campaigns sharing one agent with a hold queue, played by the simulator's hold option after the mix.</summary>
    private static readonly SimCampaign[] HoldCampaigns =
    [
        new() { Id = "soak-hold-a", TrackingNumber = "+442079460111", AgentNumber = "+447700900650", WhenBusy = HoldQueue() },
        new() { Id = "soak-hold-b", TrackingNumber = "+442079460112", AgentNumber = "+447700900650", WhenBusy = HoldQueue() },
    ];

    private const int HoldCalls = 12;

    private static JsonObject HoldQueue() => new() { ["holdMusicUrl"] = "https://example.com/hold.mp3", ["maxWaitSeconds"] = 3600 };

    /// <summary>Outcomes of a call the app calls back (the caller known): nobody answered it.</summary>
    private static readonly HashSet<SimOutcome> MissedOutcomes =
        [SimOutcome.Busy, SimOutcome.Unanswered, SimOutcome.Timeout, SimOutcome.Rejected, SimOutcome.Failed, SimOutcome.Abandoned];

    /// <summary>Campaigns with impact ids report to impact.com; the others must not.</summary>
    private static readonly HashSet<string> ImpactCampaigns = ["soak-radio", "soak-web"];

    [Fact]
    public async Task Simulated_calls_survive_sink_faults_and_a_storage_restart_exactly_once()
    {
        var clock = Stopwatch.StartNew();
        await CreateCampaignsAsync();

        // 1. Drive the calls while the sinks misbehave; restart Azurite once, part-way through.
        var calls = new ScenarioGenerator(new GeneratorOptions
        {
            Seed = Seed,
            DuplicateFraction = 0.1,
            ShuffleFraction = 0.2,
            CallsPerSecond = 25,
            Epoch = DateTimeOffset.UtcNow,
            // The app downloads recordings with the Voice API client its transfers use: from the simulator's Voice API.
            RecordingBaseUrl = host.VoiceApi.RecordingBaseUrl,
        }).Generate(Campaigns, Calls);
        using var http = SimulatorRun.CreateHttpClient(host.Host.BaseAddress, 16);
        // Vonage retries failed webhooks; enough attempts (about a minute) to ride out the Azurite restart on a slow machine.
        var senderOptions = new SenderOptions { CallsPerSecond = 25, MaxConcurrentCalls = 16, MaxAttempts = 20 };
        var signer = new VonageRequestSigner(SoakHostFixture.SignatureSecret, SoakHostFixture.ApiKey);
        var sender = new VonageSender(http, signer, senderOptions);
        // The agent answers about half of the callback attempts; the others ring out or are busy.
        host.VoiceApi.Callbacks.Player = new SimCallbackPlayer(http, signer, new CallbackPlayerOptions { Seed = Seed, AnswerFraction = 0.5 });
        var sent = 0;
        var restart = new TaskCompletionSource();
        sender.RequestCompleted += (_, _) =>
        {
            if (Interlocked.Increment(ref sent) == 1200)
            {
                restart.TrySetResult();
            }
        };

        await using var faults = new SinkFaultInjector(host.Sinks, SoakHostFixture.SinkRoutes,
            TimeSpan.FromSeconds(SoakHostFixture.SinkAttemptTimeoutSeconds + 0.5));
        faults.Start();
        // Segment is down from the start until some calls have failed for good (poison), so replay is exercised too.
        faults.TakeDown(SoakHostFixture.SegmentTrack);
        var outage = EndOutageOnPoisonAsync(faults, TimeSpan.FromMinutes(4));
        var restarted = RestartStorageWhenAsync(restart.Task);
        var report = await sender.RunAsync(calls);
        restart.TrySetResult();
        await restarted;
        // The busy agent: one call occupies it, the others wait on hold (the answer NCCO must not connect), a quarter
        // hang up, and every transfer the app PUTs to the simulator's Voice API is played in a new conversation.
        var hold = await new HoldPlayer(http, signer, host.VoiceApi).RunAsync(HoldCampaigns, HoldCalls, Seed);
        var summary = SimulationSummary.From(Seed, report, hold);
        if (summary.Hold is not { Clean: true, Transfers: > 0 })
        {
            // What the hold queue and the simulator said, for whoever reads a failed run.
            output.WriteLine(string.Join('\n', hold.Errors));
            output.WriteLine(string.Join('\n', host.Log.Split('\n').Where(l => l.Contains("Hold", StringComparison.Ordinal)
                || l.Contains("transfer", StringComparison.OrdinalIgnoreCase) || l.StartsWith("Error", StringComparison.Ordinal))));
        }

        Assert.True(summary.Hold is { Clean: true, Transfers: > 0 },
            "each waiting caller transferred exactly once, none after hanging up, none left waiting, no connect while busy: " + JsonSerializer.Serialize(summary.Hold));
        Assert.All(host.VoiceApi.Transfers, t => Assert.True(host.IsSignedByApplication(t.Authorization), "transfer of " + t.Leg + " signed with the application key"));
        await AssertNoneLeftOnHoldAsync(hold);
        Assert.True(summary.FailedRequests == 0, "every webhook was accepted in the end:\n" + string.Join("\n", summary.SampleErrors ?? []));
        Assert.Equal(0, summary.DroppedCalls);

        // 2. Keep the faults on until processing has met each kind of them (processing starts a processing delay after
        //    each call ends), then let the sinks recover and replay poison until everything is delivered.
        await WaitForFaultsServedAsync(TimeSpan.FromMinutes(4));
        var poisonedDuringOutage = await outage;
        await faults.StopAsync();
        var served = FaultyResponsesServed();
        Assert.True(CycleKinds.All(kind => served.GetValueOrDefault(kind) > 0) && served.GetValueOrDefault("outage") > 0,
            "the sinks served every kind of fault: " + string.Join(", ", served));
        var (replays, replayed) = await DrainAsync(summary, DrainTimeout);
        await host.VoiceApi.Callbacks.WhenPlayedAsync();
        summary = summary.WithCallbacks(host.VoiceApi.Callbacks.Attempts, Campaigns);
        Assert.True(poisonedDuringOutage > 0 && replays > 0 && replayed > 0,
            $"the Segment outage sent calls to poison ({poisonedDuringOutage}) and the drain replayed them ({replays} replays, {replayed} messages)");

        await WriteHostLogAsync();

        // 3. The ledger: every simulated call exactly once, with the outcome, talk time and cost it had.
        var ledger = await LedgerAsync();
        var simulated = summary.CallList.ToDictionary(c => c.ConversationUuid);
        // Callback attempts (outbound) are checked against what the simulator's Voice API played, in step 6.
        Assert.Equal([], ledger.Where(r => r.Value.Direction is null).Select(r => r.Key).Where(k => !simulated.ContainsKey(k)).ToList());
        foreach (var call in summary.CallList)
        {
            Assert.True(ledger.TryGetValue(call.ConversationUuid, out var row), $"call {call.ConversationUuid} is missing from the ledger");
            Assert.Equal(call.CampaignId, row.CampaignId);
            Assert.True(string.Equals(call.Outcome.ToString(), row.Outcome, StringComparison.OrdinalIgnoreCase),
                $"{call.ConversationUuid}: simulated {call.Outcome}, ledger {row.Outcome}");
            Assert.Equal(call.Caller, row.CallerNumber);
            Assert.Equal(call.TalkSeconds, row.TalkSeconds);
            Assert.Equal((double)call.CarrierCost, row.CarrierCost ?? 0, 6);
            Assert.Equal(call.Recorded, row.RecordingUrl is not null);
        }

        // 4. Every sink got every call exactly once (acknowledged), and all copies of one call carry one dedup id.
        var deliveries = SinkDeliveries(summary);

        // 5. The reports agree with what was sent.
        await AssertStatsAsync(summary, ledger);
        await AssertHoldStatsAsync(summary.Hold!);

        // 6. Callbacks: one attempt per slot, never more than the policy's, as played, and the stats say so.
        var callbacks = await AssertCallbacksAsync(summary, ledger);

        // 7. Nothing left behind in any queue.
        var census = await StorageCensus.TakeAsync(host.Tables, host.Queues);
        Assert.All(census.Messages, q => Assert.Equal(0, q.Value));
        // The watchdog's checks (one per answered call) come due 5 minutes after each answer; those already due are
        // worked off by the pump (polled, no timing assumed), and none may stay behind.
        var watchdog = host.Queues.GetQueueClient(StorageNames.CallsWatchdogQueue);
        for (var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
             (await watchdog.PeekMessagesAsync(32)).Value.Length > 0 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        Assert.Empty((await watchdog.PeekMessagesAsync(32)).Value);

        var counts = new Dictionary<string, object>
        {
            ["calls"] = summary.Calls,
            ["events"] = summary.Events,
            ["duplicates"] = summary.Duplicates,
            ["shuffledCalls"] = summary.ShuffledCalls,
            ["recordings"] = summary.Recordings,
            ["whispers"] = summary.Whispers,
            ["webhookRequests"] = summary.Requests,
            ["webhookRetries"] = summary.Retries,
            ["hold"] = summary.Hold!,
            ["recordingDownloads"] = host.VoiceApi.RecordingDownloads,
            ["outcomes"] = summary.Outcomes.ToDictionary(o => JsonNamingPolicy.CamelCase.ConvertName(o.Key.ToString()), o => o.Value),
            ["faultPeriodsInjected"] = faults.PhasesStarted.ToDictionary(p => p.Key, p => p.Value),
            ["faultyResponsesServed"] = served,
            ["azuriteRestarts"] = 1,
            ["poisonedDuringSegmentOutage"] = poisonedDuringOutage,
            ["poisonReplays"] = replays,
            ["poisonMessagesReplayed"] = replayed,
            ["deliveriesPerSink"] = deliveries,
            ["callbacks"] = callbacks,
            ["storage"] = census.Rows,
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
        };
        var json = JsonSerializer.Serialize(counts, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
        output.WriteLine(summary.ToText());
        output.WriteLine(json);
        Console.WriteLine("Soak summary: " + json);
        Directory.CreateDirectory(RepositoryPaths.Combine("artifacts"));
        await File.WriteAllTextAsync(RepositoryPaths.Combine("artifacts", "soak-summary.json"), json);
    }

    private async Task CreateCampaignsAsync()
    {
        foreach (var campaign in Campaigns.Concat(HoldCampaigns))
        {
            var body = new JsonObject
            {
                ["id"] = campaign.Id,
                ["name"] = "Soak " + campaign.Id,
                ["trackingNumber"] = campaign.TrackingNumber,
                ["agentNumber"] = campaign.AgentNumber,
                ["recordCalls"] = campaign.RecordCalls,
                ["whisperText"] = campaign.WhisperText,
                ["ringTimeoutSeconds"] = campaign.RingTimeoutSeconds,
                ["recordingNotice"] = new JsonObject { ["text"] = "This call may be recorded." },
            };
            if (campaign.WhenBusy is not null)
            {
                body["whenBusy"] = campaign.WhenBusy.DeepClone();
            }

            if (campaign.Callback is { } callback)
            {
                body["callback"] = new JsonObject
                {
                    ["attempts"] = callback.Attempts,
                    ["intervalMinutes"] = callback.IntervalMinutes,
                    ["onlyWhenOpen"] = callback.OnlyWhenOpen,
                };
            }

            if (ImpactCampaigns.Contains(campaign.Id))
            {
                body["impact"] = new JsonObject { ["campaignId"] = 1001, ["mediaId"] = 2002, ["actionTrackerId"] = 3003 };
            }

            var response = await host.Client.PutAsync(new Uri($"api/campaigns/{campaign.Id}", UriKind.Relative), JsonBody.From(body));
            Assert.True(response.IsSuccessStatusCode, $"PUT campaign {campaign.Id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private async Task RestartStorageWhenAsync(Task trigger)
    {
        await trigger;
        var watch = Stopwatch.StartNew();
        var stopping = DateTimeOffset.UtcNow;
        await host.Azurite.RestartAsync();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Azurite restarted in {watch.Elapsed.TotalSeconds:0.0} s (down from {stopping:HH:mm:ss.fff} to {DateTimeOffset.UtcNow:HH:mm:ss.fff})"));
    }

    /// <summary>Ends the Segment outage once a few calls sit in the poison queue (or after <paramref name="atMost"/>).</summary>
    private async Task<int> EndOutageOnPoisonAsync(SinkFaultInjector faults, TimeSpan atMost)
    {
        var deadline = DateTime.UtcNow + atMost;
        var poisoned = 0;
        while (DateTime.UtcNow < deadline && poisoned < 3)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            try
            {
                poisoned = (await StorageCensus.TakeAsync(host.Tables, host.Queues)).Messages[StorageNames.CallsCompletedPoisonQueue];
            }
            catch (Exception ex) when (ex is Azure.RequestFailedException or AggregateException or HttpRequestException)
            {
                // Azurite is restarting: ask again in a second.
            }
        }

        faults.Restore(SoakHostFixture.SegmentTrack);
        return poisoned;
    }

    private static readonly string[] CycleKinds = ["http500", "http429", "timeout"];

    /// <summary>Faulty answers the sinks gave, by kind (a slow answer is one the sink client had given up on).</summary>
    private Dictionary<string, int> FaultyResponsesServed() => host.Sinks.Requests
        .Select(r => r.Response switch
        {
            { Delay: not null } => "timeout",
            { Status: 429 } => "http429",
            { Status: 503 } => "outage",
            { Status: >= 500 } => "http500",
            _ => null,
        })
        .OfType<string>()
        .GroupBy(kind => kind)
        .OrderBy(g => g.Key, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Polls (no timing assumptions) until processing has hit every kind of fault a few times, or gives up.</summary>
    private async Task WaitForFaultsServedAsync(TimeSpan atMost)
    {
        var deadline = DateTime.UtcNow + atMost;
        while (DateTime.UtcNow < deadline && !CycleKinds.All(kind => FaultyResponsesServed().GetValueOrDefault(kind) >= 5))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Replays poison and waits until every call is processed and delivered everywhere it should be.</summary>
    private async Task<(int Replays, int Messages)> DrainAsync(SimulationSummary summary, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var replays = 0;
        var replayed = 0;
        while (true)
        {
            var census = await StorageCensus.TakeAsync(host.Tables, host.Queues);
            if (census.Messages[StorageCensus.CallbacksPoisonQueue] > 0)
            {
                var response = await host.Client.PostAsync(new Uri("api/ops/replay?queue=callbacks", UriKind.Relative), null);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                replays++;
                replayed += (await response.Content.ReadFromJsonAsync<JsonObject>())?["moved"]?.GetValue<int>() ?? 0;
            }

            var poison = census.Messages[StorageNames.CallsCompletedPoisonQueue];
            if (poison > 0)
            {
                var response = await host.Client.PostAsync(new Uri("api/ops/replay", UriKind.Relative), null);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                replays++;
                replayed += (await response.Content.ReadFromJsonAsync<JsonObject>())?["moved"]?.GetValue<int>() ?? 0;
            }

            // impact.com does not deduplicate, so a send that timed out is Failed "outcome unknown", never re-sent
            // blindly; the operator checks impact.com and re-sends it (here: the stub never kept a timed-out copy).
            await foreach (var row in host.Tables.GetTableClient(StorageNames.DeliveriesTable).QueryAsync<TableEntity>(
                r => r.RowKey == ImpactSink.SinkName && r.GetString("Status") == "Failed"))
            {
                if (row.GetString("LastError")?.StartsWith("outcome unknown", StringComparison.Ordinal) == true)
                {
                    var response = await host.Client.PostAsync(
                        new Uri($"api/ops/replay?call={row.PartitionKey}&sink={ImpactSink.SinkName}&failed=true", UriKind.Relative), null);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    replays++;
                    replayed++;
                }
            }

            var pending = await PendingAsync(summary);
            if (pending.Count == 0 && census.Messages.Values.All(v => v == 0))
            {
                return (replays, replayed);
            }

            if (DateTime.UtcNow > deadline)
            {
                var logFile = await WriteHostLogAsync();
                Assert.Fail($"Not drained after {timeout}: {census}; {pending.Count} calls pending, e.g. {string.Join("; ", pending.Take(5))}\n" +
                            $"Full host log in {logFile}; its warnings and errors:\n{Tail(Problems(host.Log), 60)}");
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }

    private async Task<List<string>> PendingAsync(SimulationSummary summary)
    {
        var ledger = await LedgerAsync();
        var deliveries = new Dictionary<string, List<TableEntity>>(StringComparer.Ordinal);
        await foreach (var row in host.Tables.GetTableClient(StorageNames.DeliveriesTable).QueryAsync<TableEntity>())
        {
            (deliveries.TryGetValue(row.PartitionKey, out var list) ? list : deliveries[row.PartitionKey] = []).Add(row);
        }

        var pending = new List<string>();
        // Callback attempts placed so far: each must be played, processed and settled in the ledger too (a later
        // attempt's message keeps the callbacks queue non-empty until it is placed).
        var attempts = host.VoiceApi.Callbacks.Attempts.Select(a => new CallSummary(a.ConversationUuid, "soak-callback", SimOutcome.Answered,
            null, a.LegUuid, null, 0, 0, 0, false, 0, false, 0));
        foreach (var call in summary.CallList.Concat(attempts))
        {
            if (!ledger.TryGetValue(call.ConversationUuid, out var row) || row.ProcessedAt is null)
            {
                pending.Add(call.ConversationUuid + " not processed");
                continue;
            }

            var rows = deliveries.GetValueOrDefault(call.ConversationUuid) ?? [];
            var open = rows.Where(r => r.GetString("Status") is not ("Delivered" or "Skipped")).Select(r => $"{r.RowKey}={r.GetString("Status")}").ToList();
            if (rows.Count == 0 || open.Count > 0)
            {
                pending.Add($"{call.ConversationUuid} deliveries: {(rows.Count == 0 ? "none" : string.Join(",", open))}");
            }
        }

        return pending;
    }

    private async Task<Dictionary<string, CallRecord>> LedgerAsync()
    {
        var rows = new Dictionary<string, CallRecord>(StringComparer.Ordinal);
        await foreach (var row in host.Tables.GetTableClient(StorageNames.CallsTable).QueryAsync<CallRecord>(r => r.RowKey == CallRecord.RowKeyValue))
        {
            rows[row.PartitionKey] = row;
        }

        return rows;
    }

    /// <summary>
    /// Checks each sink and returns its counts. "Exactly once" is by the sink's dedup id, as the sinks themselves
    /// count: at-least-once forwarding may send a call again when its answer was lost (a 200 that came after the
    /// client's timeout, a ledger write that storage lost in the restart); every copy must then carry the call's one
    /// id, so the sink keeps one. Such redundant copies are counted and printed. Mixpanel's people updates are not
    /// idempotent and so must be acknowledged exactly once, copies included.
    /// </summary>
    private Dictionary<string, object> SinkDeliveries(SimulationSummary summary)
    {
        var acknowledged = host.Sinks.Requests.Where(r => r.Response is { Status: >= 200 and < 300, Delay: null }).ToList();
        var all = host.Sinks.Requests;
        var expectedAll = summary.CallList.Select(c => c.ConversationUuid).Order().ToList();
        var redundant = new Dictionary<string, int>(StringComparer.Ordinal);

        // Mixpanel /track: one event per call, identified by its "Conversation UUID"; one $insert_id per call.
        redundant["mixpanel"] = AssertOncePerDedupId("mixpanel", expectedAll, acknowledged.Where(r => r.Path == SoakHostFixture.MixpanelTrack)
            .SelectMany(r => ParseArray(r.Body).Select(e => ((string)e!["properties"]!["Conversation UUID"]!, (string)e["properties"]!["$insert_id"]!, r))));

        // Mixpanel /engage: idempotent ($set from our caller profile, $union), so a copy sent again cannot count twice
        // (an Azurite restart once made the old $add double-count): per caller, the highest "Number of Calls" set is
        // the caller's number of calls, and the "Call Ids" merged are exactly the caller's calls (withheld: no profile).
        var engage = acknowledged.Where(r => r.Path == SoakHostFixture.MixpanelEngage).SelectMany(r => ParseArray(r.Body)).ToList();
        Assert.DoesNotContain(engage, u => u!["$add"] is not null || u!["$append"] is not null);
        var counted = engage.Where(u => u!["$set"]?["Number of Calls"] is not null)
            .GroupBy(u => (string)u!["$distinct_id"]!).ToDictionary(g => g.Key, g => g.Max(u => (int)u!["$set"]!["Number of Calls"]!));
        var expectedPerCaller = summary.CallList.Where(c => c.Caller is not null).GroupBy(c => c.Caller!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(expectedPerCaller.OrderBy(p => p.Key), counted.OrderBy(p => p.Key));
        var merged = engage.Where(u => u!["$union"] is not null).GroupBy(u => (string)u!["$distinct_id"]!)
            .ToDictionary(g => g.Key, g => g.SelectMany(u => u!["$union"]!["Call Ids"]!.AsArray().Select(id => (string)id!)).ToHashSet(StringComparer.Ordinal));
        var expectedIds = summary.CallList.Where(c => c.Caller is not null).GroupBy(c => c.Caller!)
            .ToDictionary(g => g.Key, g => g.Select(c => c.ConversationUuid).ToHashSet(StringComparer.Ordinal));
        Assert.Equal(expectedIds.Keys.Order(), merged.Keys.Order());
        Assert.All(expectedIds, p => Assert.True(p.Value.SetEquals(merged[p.Key]), $"Call Ids of {p.Key}"));

        // impact.com: only campaigns with impact ids, VendorEventId = call id, explicit CallStatus.
        var impact = acknowledged.Where(r => r.Path == SoakHostFixture.ImpactLogCallData).Select(r => (Form: QueryHelpers.ParseQuery(r.Body), Request: r)).ToList();
        redundant["impact"] = AssertOncePerDedupId("impact",
            summary.CallList.Where(c => ImpactCampaigns.Contains(c.CampaignId)).Select(c => c.ConversationUuid).Order().ToList(),
            impact.Select(f => (f.Form["CallSessionId"].ToString(), f.Form["VendorEventId"].ToString(), f.Request)));
        Assert.All(impact, f => Assert.False(string.IsNullOrEmpty(f.Form["CallStatus"].ToString())));

        // Segment: messageId derived from the call id (its properties carry the call id too).
        redundant["segment"] = AssertOncePerDedupId("segment", expectedAll, acknowledged.Where(r => r.Path == SoakHostFixture.SegmentTrack)
            .Select(r => JsonNode.Parse(r.Body)!["messageId"]!.GetValue<string>() is var id ? (id["inbound-call-".Length..], id, r) : default));

        return SoakHostFixture.SinkRoutes.ToDictionary(r => r.Path, r => (object)new
        {
            acknowledged = acknowledged.Count(a => a.Path == r.Path),
            requests = all.Count(a => a.Path == r.Path),
            redundantAcknowledgedCopies = r.Path switch
            {
                SoakHostFixture.MixpanelTrack => redundant["mixpanel"],
                SoakHostFixture.ImpactLogCallData => redundant["impact"],
                SoakHostFixture.SegmentTrack => redundant["segment"],
                _ => 0,
            },
        });
    }

    /// <summary>Every expected call acknowledged, nothing else; one dedup id per call and one call per dedup id. Returns the redundant copies.</summary>
    private int AssertOncePerDedupId(string sink, IReadOnlyList<string> expected, IEnumerable<(string CallId, string DedupId, RecordedRequest Request)> received)
    {
        var copies = received.ToList();
        var byCall = copies.GroupBy(c => c.CallId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var missing = expected.Where(id => !byCall.ContainsKey(id)).ToList();
        var unexpected = byCall.Keys.Except(expected).ToList();
        var mixedIds = byCall.Where(c => c.Value.Select(v => v.DedupId).Distinct().Count() > 1).Select(c => c.Key).ToList();
        var sharedIds = copies.GroupBy(c => c.DedupId).Where(g => g.Select(c => c.CallId).Distinct().Count() > 1).Select(g => g.Key).ToList();
        Assert.True(missing.Count == 0 && unexpected.Count == 0 && mixedIds.Count == 0 && sharedIds.Count == 0,
            $"{sink}: {missing.Count} missing (e.g. {string.Join(", ", missing.Take(3))}), {unexpected.Count} unexpected, " +
            $"{mixedIds.Count} calls sent with different dedup ids (e.g. {string.Join(", ", mixedIds.Take(3))}), " +
            $"{sharedIds.Count} dedup ids shared by several calls");
        foreach (var (call, list) in byCall.Where(c => c.Value.Count > 1))
        {
            output.WriteLine($"{sink}: {call} acknowledged {list.Count} times, same dedup id, at " +
                             string.Join(", ", list.Select(c => c.Request.ReceivedAt.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture))));
        }

        return copies.Count - byCall.Count;
    }

    private async Task AssertStatsAsync(SimulationSummary summary, IReadOnlyDictionary<string, CallRecord> ledger)
    {
        var from = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        var to = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        foreach (var campaign in summary.Campaigns)
        {
            var response = await host.Client.GetAsync(new Uri($"api/campaigns/{campaign.CampaignId}/stats?from={from}&to={to}", UriKind.Relative));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"stats {campaign.CampaignId}: {(int)response.StatusCode} {text}");
            var stats = JsonNode.Parse(text)!;
            int Outcome(SimOutcome o) => campaign.Outcomes.GetValueOrDefault(o);
            Assert.Equal(campaign.Calls, (int)stats["calls"]!);
            Assert.Equal(Outcome(SimOutcome.Answered), (int)stats["answered"]!);
            Assert.Equal(Outcome(SimOutcome.Busy), (int)stats["missedByKind"]!["busy"]!);
            Assert.Equal(Outcome(SimOutcome.Unanswered), (int)stats["missedByKind"]!["unanswered"]!);
            Assert.Equal(Outcome(SimOutcome.Timeout), (int)stats["missedByKind"]!["timeout"]!);
            Assert.Equal(Outcome(SimOutcome.Rejected), (int)stats["missedByKind"]!["rejected"]!);
            Assert.Equal(Outcome(SimOutcome.Failed), (int)stats["missedByKind"]!["failed"]!);
            Assert.Equal(Outcome(SimOutcome.Abandoned), (int)stats["abandoned"]!);
            Assert.Equal(Outcome(SimOutcome.NotConnected), (int)stats["notConnected"]!);
            Assert.Equal(campaign.TalkSeconds, (int)stats["talkSeconds"]!);
            // Stats keep each call's cost in micro-EUR (exact integer sums); the ledger matched the simulator's costs
            // call by call above, so the stats must equal the ledger's costs rounded per call, exactly.
            var ledgerMicros = ledger.Values.Where(r => r.CampaignId == campaign.CampaignId && r.Direction is null).Sum(r => CallEntry.ToMicros(ProcessedCallMapper.ToMoney(r.CarrierCost) ?? 0m));
            Assert.Equal(CallEntry.FromMicros(ledgerMicros), (decimal)stats["carrierCost"]!);
            var roundingAllowance = campaign.Calls * 0.0000005m;
            Assert.True(Math.Abs(campaign.CarrierCost - (decimal)stats["carrierCost"]!) <= roundingAllowance,
                $"{campaign.CampaignId}: simulated cost {campaign.CarrierCost}, stats {stats["carrierCost"]} (per-call rounding allows {roundingAllowance})");
            Assert.Equal(campaign.WithheldCalls, (int)stats["withheldCallers"]!);
        }
    }

    /// <summary>
    /// The app's own hold records agree: each held caller's row ended (transferred or abandoned, as played), and the
    /// agent's wait list is empty.
    /// </summary>
    private async Task AssertNoneLeftOnHoldAsync(HoldReport hold)
    {
        var holdCalls = host.Tables.GetTableClient(StorageNames.HoldCallsTable);
        foreach (var call in hold.Calls.Where(c => c.Held))
        {
            var row = await holdCalls.GetEntityIfExistsAsync<TableEntity>(call.InboundUuid, "hold");
            Assert.True(row.HasValue, $"hold row of {call.ConversationUuid}");
            Assert.Equal(call.Outcome == SimOutcome.AnsweredAfterHold ? "transferred" : "abandoned", row.Value!.GetString("State"));
        }

        var agents = host.Tables.GetTableClient(StorageNames.AgentsTable);
        foreach (var agent in HoldCampaigns.Select(c => c.AgentNumber).Distinct())
        {
            var waiting = await agents.QueryAsync<TableEntity>(e => e.PartitionKey == agent && e.RowKey.CompareTo("wait|") >= 0 && e.RowKey.CompareTo("wait}") < 0)
                .Select(e => e.RowKey).ToListAsync();
            Assert.True(waiting.Count == 0, $"agent {agent} still has {waiting.Count} callers on its wait list");
        }
    }

    /// <summary>Each hold campaign's stats: its calls, and a <c>hold</c> block equal to what the simulator played.</summary>
    private async Task AssertHoldStatsAsync(HoldSummary hold)
    {
        var from = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        var to = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        Assert.Equal(HoldCampaigns.Select(c => c.Id).Order(), hold.Campaigns.Select(c => c.CampaignId).Order());
        foreach (var campaign in hold.Campaigns)
        {
            var response = await host.Client.GetAsync(new Uri($"api/campaigns/{campaign.CampaignId}/stats?from={from}&to={to}", UriKind.Relative));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"stats {campaign.CampaignId}: {(int)response.StatusCode} {text}");
            var stats = JsonNode.Parse(text)!;
            Assert.Equal(campaign.Calls, (int)stats["calls"]!);
            Assert.Equal(campaign.Held, (int)stats["hold"]!["held"]!);
            Assert.Equal(campaign.AnsweredAfterHold, (int)stats["hold"]!["answeredAfterHold"]!);
            Assert.Equal(campaign.AbandonedOnHold, (int)stats["hold"]!["abandonedOnHold"]!);
            Assert.Equal(0, (int)stats["hold"]!["voicemail"]!);
        }
    }

    /// <summary>
    /// Every callback attempt the app placed reached the simulator's Voice API once and is one ledger row (outbound,
    /// joined to its missed call); one attempt per (missed call, attempt number); at most the policy's attempts, a
    /// later one only after an unanswered one; a missed call not called back (or not again) is explained by the caller
    /// having been reached since; the attempt's outcome is what was played; the campaign's callback stats match.
    /// </summary>
    private async Task<Dictionary<string, object>> AssertCallbacksAsync(SimulationSummary summary, IReadOnlyDictionary<string, CallRecord> ledger)
    {
        var played = summary.Callbacks!;
        Assert.Equal(0, played.FailedEvents);
        Assert.All(host.VoiceApi.Callbacks.Attempts, a => Assert.True(host.IsSignedByApplication(a.Authorization), "callback attempt " + a.LegUuid + " signed with the application key"));
        var outbound = ledger.Values.Where(r => r.Direction == "outbound").ToList();
        Assert.Equal(played.AttemptList.Select(a => a.ConversationUuid).Order(StringComparer.Ordinal),
            outbound.Select(r => r.PartitionKey).Order(StringComparer.Ordinal));
        var byConversation = played.AttemptList.ToDictionary(a => a.ConversationUuid, StringComparer.Ordinal);
        var calls = summary.CallList.ToDictionary(c => c.ConversationUuid, StringComparer.Ordinal);
        var policies = Campaigns.Where(c => c.Callback is not null).ToDictionary(c => c.Id, c => c.Callback!);
        foreach (var attempt in outbound)
        {
            var missed = attempt.CallbackOf is null ? null : calls.GetValueOrDefault(attempt.CallbackOf);
            Assert.True(missed is not null, $"attempt {attempt.PartitionKey} joins a simulated call");
            Assert.Equal(missed.CampaignId, attempt.CampaignId);
            Assert.Contains(missed.Outcome, MissedOutcomes);
            Assert.Equal(missed.Caller, attempt.CallerNumber);
            Assert.Equal(missed.Caller, byConversation[attempt.PartitionKey].Caller);
            Assert.InRange(attempt.AttemptNumber ?? 0, 1, policies[missed.CampaignId].Attempts);
            Assert.True(byConversation[attempt.PartitionKey].Connected == (attempt.Outcome == "Answered"),
                $"attempt {attempt.PartitionKey}: played {(byConversation[attempt.PartitionKey].Connected ? "answered" : "not answered")}, ledger {attempt.Outcome}");
        }

        var bySlot = outbound.GroupBy(r => (r.CallbackOf!, r.AttemptNumber!.Value)).ToList();
        Assert.All(bySlot, slot => Assert.True(slot.Count() == 1, $"slot {slot.Key}: {slot.Count()} attempts"));
        var attemptsOf = outbound.GroupBy(r => r.CallbackOf!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(r => r.AttemptNumber).ToList(), StringComparer.Ordinal);

        // The caller reached since a missed call started: an answered inbound call, or a connected attempt, of the campaign.
        var reachedAt = ledger.Values.Where(r => r.Outcome == "Answered" && r.CallerNumber is not null)
            .GroupBy(r => (r.CampaignId, r.CallerNumber))
            .ToDictionary(g => g.Key, g => g.Max(r => r.AgentAnsweredAt ?? r.AnsweredAt ?? DateTimeOffset.MinValue));
        bool Reached(CallRecord missedRow) =>
            reachedAt.TryGetValue((missedRow.CampaignId, missedRow.CallerNumber), out var at) && at >= (missedRow.KnownStartTime() ?? DateTimeOffset.MaxValue);

        // The attempt slots (table Callbacks, one row per missed call and attempt number, claimed before the Voice API
        // call): a placed slot is exactly one ledger attempt; one the app could not place for sure (the Voice API's
        // answer lost: "unknown", never retried) or that was refused keeps its error, and the next attempt follows.
        var slotRows = new Dictionary<string, List<TableEntity>>(StringComparer.Ordinal);
        await foreach (var slot in host.Tables.GetTableClient(StorageNames.CallbacksTable).QueryAsync<TableEntity>())
        {
            if (slot.RowKey.StartsWith("attempt|", StringComparison.Ordinal))
            {
                (slotRows.TryGetValue(slot.PartitionKey, out var list) ? list : slotRows[slot.PartitionKey] = []).Add(slot);
            }
        }

        var missedCalls = summary.CallList.Where(c => policies.ContainsKey(c.CampaignId) && c.Caller is not null && MissedOutcomes.Contains(c.Outcome)).ToList();
        var notCalledBack = 0;
        var stoppedEarly = 0;
        var notPlaced = 0;
        foreach (var call in missedCalls)
        {
            var mine = attemptsOf.GetValueOrDefault(call.ConversationUuid) ?? [];
            var slots = (slotRows.GetValueOrDefault(call.ConversationUuid) ?? []).OrderBy(r => r.GetInt32("Attempt")).ToList();
            Assert.Equal(Enumerable.Range(1, slots.Count), slots.Select(r => r.GetInt32("Attempt") ?? 0));
            Assert.InRange(slots.Count, 0, policies[call.CampaignId].Attempts);
            var placed = slots.Where(r => r.GetString("Status") == "placed").ToList();
            Assert.Equal(placed.Select(r => (r.GetInt32("Attempt") ?? 0, r.GetString("AttemptCallId") ?? "")),
                mine.Select(r => (r.AttemptNumber!.Value, r.PartitionKey)));
            Assert.All(slots.Except(placed), r => Assert.False(string.IsNullOrEmpty(r.GetString("Error")), $"slot {r.PartitionKey}/{r.RowKey} neither placed nor failed"));
            notPlaced += slots.Count - placed.Count;
            Assert.All(mine.SkipLast(1), r => Assert.NotEqual("Answered", r.Outcome));
            var row = ledger[call.ConversationUuid];
            if (slots.Count == 0)
            {
                notCalledBack++;
                Assert.True(Reached(row), $"missed call {call.ConversationUuid} was not called back, and its caller was not reached since");
            }
            else if (mine.LastOrDefault()?.Outcome != "Answered" && slots.Count < policies[call.CampaignId].Attempts)
            {
                stoppedEarly++;
                Assert.True(Reached(row), $"missed call {call.ConversationUuid}: {slots.Count} unanswered attempts of {policies[call.CampaignId].Attempts}, and its caller was not reached since");
            }
        }

        Assert.All(attemptsOf.Keys, id => Assert.Contains(missedCalls, c => c.ConversationUuid == id));
        Assert.True(played.Attempted > 0 && played.Connected > 0 && played.Attempted > played.Connected
                    && outbound.Any(r => r.AttemptNumber == 2),
            $"the soak played answered and unanswered callbacks and second attempts ({played.Attempted} attempts, {played.Connected} connected)");

        // The campaign's stats: attempted and connected by attempt number, as played.
        var from = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        var to = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        var perCampaign = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var campaign in policies.Keys)
        {
            var response = await host.Client.GetAsync(new Uri($"api/campaigns/{campaign}/stats?from={from}&to={to}", UriKind.Relative));
            var stats = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["callbacks"]!;
            var mine = played.AttemptList.Where(a => a.CampaignId == campaign).ToList();
            Assert.Equal(mine.Count, (int)stats["attempted"]!);
            Assert.Equal(mine.Count(a => a.Connected), (int)stats["connected"]!);
            var expectedByAttempt = outbound.Where(r => r.CampaignId == campaign).GroupBy(r => r.AttemptNumber!.Value).OrderBy(g => g.Key)
                .Select(g => (g.Key, g.Count(), g.Count(r => byConversation[r.PartitionKey].Connected))).ToList();
            var byAttempt = stats["byAttempt"]!.AsArray().Select(a => ((int)a!["attemptNumber"]!, (int)a["attempted"]!, (int)a["connected"]!)).ToList();
            Assert.Equal(expectedByAttempt, byAttempt);
            perCampaign[campaign] = new
            {
                missedCalls = missedCalls.Count(c => c.CampaignId == campaign),
                notCalledBackCallerReachedSince = notCalledBack,
                stoppedEarlyCallerReachedSince = stoppedEarly,
                slotsNotPlaced = notPlaced,
                byAttempt = byAttempt.Select(a => new { attemptNumber = a.Item1, attempted = a.Item2, connected = a.Item3 }).ToList(),
            };
        }

        return new Dictionary<string, object>
        {
            ["attempted"] = played.Attempted,
            ["connected"] = played.Connected,
            ["campaigns"] = perCampaign,
        };
    }

    private static JsonArray ParseArray(string body) => JsonNode.Parse(body) as JsonArray ?? [];

    /// <summary>The host's and Azurite's whole log, for reading after a run (artifacts are not committed).</summary>
    private async Task<string> WriteHostLogAsync()
    {
        var logFile = RepositoryPaths.Combine("artifacts", "soak-host.log");
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        await File.WriteAllTextAsync(logFile, host.Log + "\n\nAzurite:\n" + host.Azurite.Output);
        return logFile;
    }

    private static string Problems(string log) =>
        string.Join('\n', log.Split('\n').Where(l => l.StartsWith("Warning", StringComparison.Ordinal) || l.StartsWith("Error", StringComparison.Ordinal)));

    private static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));
}

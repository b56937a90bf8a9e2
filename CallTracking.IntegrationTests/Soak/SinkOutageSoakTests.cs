using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CallTracking.Functions.Common;
using CallTracking.Functions.Forwarding;
using CallTracking.LocalHost.Configuration;
using CallTracking.Simulator;
using CallTracking.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Xunit;
using Xunit.Abstractions;

namespace CallTracking.Tests.Soak;

/// <summary>
/// The soak's app with the repository's host.json queue settings, scaled down in time: visibilityTimeout divided by
/// <see cref="TimeScale"/>, maxDequeueCount as it is. (The main soak keeps maxDequeueCount 2 so that its outage
/// reaches poison within minutes under 300 calls; one host cannot have both horizons.)
/// </summary>
public sealed class SinkOutageSoakHostFixture : SoakHostFixture
{
    /// <summary>Time here runs this much faster than in Azure: host.json's 2 min visibilityTimeout becomes 5 s.</summary>
    public const int TimeScale = 24;

    /// <summary>host.json before issue 13 (visibilityTimeout 10 s, maxDequeueCount 5): poison after about a minute of outage.</summary>
    public const int OldMaxDequeueCount = 5;

    public static readonly TimeSpan OldVisibilityTimeout = TimeSpan.FromSeconds(10);

    public static QueueOptions Production { get; } = HostJson.Parse(File.ReadAllText(RepositoryPaths.Combine("host.json"))).Queues;

    public static TimeSpan VisibilityTimeout => Production.VisibilityTimeout / TimeScale;

    public static int MaxDequeueCount => Production.MaxDequeueCount;

    /// <summary>
    /// A failed message is visible again visibilityTimeout after each failure, so its last attempt (then poison) comes
    /// no sooner than (maxDequeueCount - 1) x visibilityTimeout after its first: an outage shorter than that ends in
    /// delivery. Azure: 19 x 2 min = 38 min; here 19 x 5 s = 95 s.
    /// </summary>
    public static TimeSpan PoisonHorizon => (MaxDequeueCount - 1) * VisibilityTimeout;

    /// <summary>Issue 13's requirement, a 30-minute outage, scaled: 75 s.</summary>
    public static TimeSpan Outage => TimeSpan.FromMinutes(30) / TimeScale;

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings[HostJson.OverridePrefix + "extensions__queues__visibilityTimeout"] = VisibilityTimeout.ToString("c", CultureInfo.InvariantCulture);
        settings[HostJson.OverridePrefix + "extensions__queues__maxDequeueCount"] = MaxDequeueCount.ToString(CultureInfo.InvariantCulture);
        // No storage restart here: the webhooks are in within a second or two.
        settings["CallTracking__ProcessingDelaySeconds"] = "3";
    }
}

[CollectionDefinition(Name)]
public sealed class SinkOutageSoakCollection : ICollectionFixture<SinkOutageSoakHostFixture>
{
    public const string Name = "Soak: sink outage";
}

/// <summary>
/// One sink down for longer than the old settings' poison horizon, within the new one: every call is kept, retried and
/// delivered once the sink is back, without a message ever reaching the poison queue.
/// </summary>
[Collection(SinkOutageSoakCollection.Name)]
[Trait("Category", "Soak")]
public sealed class SinkOutageSoakTests(SinkOutageSoakHostFixture host, ITestOutputHelper output)
{
    private const int Calls = 12; // fewer than a batch (16): every pending message is retried each visibilityTimeout
    private const int Seed = 20261129;

    private static readonly SimCampaign Campaign = new()
    {
        Id = "outage-radio",
        TrackingNumber = "+442079460201",
        AgentNumber = "+447700900701",
        RecordCalls = true,
    };

    [Fact]
    public async Task An_impact_outage_longer_than_the_old_poison_horizon_ends_in_delivery_without_poison()
    {
        // The arithmetic this test relies on, from host.json itself.
        var oldHorizon = SinkOutageSoakHostFixture.OldMaxDequeueCount * SinkOutageSoakHostFixture.OldVisibilityTimeout;
        Assert.True(SinkOutageSoakHostFixture.Outage > oldHorizon && SinkOutageSoakHostFixture.Outage < SinkOutageSoakHostFixture.PoisonHorizon,
            $"the outage ({SinkOutageSoakHostFixture.Outage}) outlasts the old horizon ({oldHorizon}) and ends within the new one ({SinkOutageSoakHostFixture.PoisonHorizon})");

        var clock = Stopwatch.StartNew();
        await CreateCampaignAsync();
        host.Sinks.On("POST", SoakHostFixture.ImpactLogCallData, new StubResponse(503, "{\"error\":\"injected outage\"}"));
        using var stopWatching = new CancellationTokenSource();
        var poisonSeen = WatchPoisonAsync(stopWatching.Token);

        // Recordings from the simulator's Voice API: the soak host has application credentials, so the app archives them.
        var calls = new ScenarioGenerator(new GeneratorOptions
        {
            Seed = Seed,
            CallsPerSecond = 20,
            Epoch = DateTimeOffset.UtcNow,
            RecordingBaseUrl = host.VoiceApi.RecordingBaseUrl,
        })
            .Generate([Campaign], Calls);
        using var http = SimulatorRun.CreateHttpClient(host.Host.BaseAddress, 8);
        var sender = new VonageSender(http, new VonageRequestSigner(SoakHostFixture.SignatureSecret, SoakHostFixture.ApiKey),
            new SenderOptions { CallsPerSecond = 20, MaxConcurrentCalls = 8 });
        var summary = SimulationSummary.From(Seed, await sender.RunAsync(calls));
        Assert.Equal(0, summary.FailedRequests);
        var callIds = summary.CallList.Select(c => c.ConversationUuid).Order(StringComparer.Ordinal).ToList();

        // The outage runs from impact.com's first refusal, so every call meets (nearly) all of it.
        var outageStart = await FirstRefusalAsync(TimeSpan.FromMinutes(2));
        var remaining = outageStart + SinkOutageSoakHostFixture.Outage - DateTimeOffset.UtcNow;
        await Task.Delay(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        host.Sinks.On("POST", SoakHostFixture.ImpactLogCallData, StubResponse.Json(200, "{\"Status\":\"OK\"}"));
        var restoredAt = DateTimeOffset.UtcNow;

        var impactRows = await WaitForImpactDeliveredAsync(callIds, TimeSpan.FromMinutes(1));
        await Task.Delay(SinkOutageSoakHostFixture.VisibilityTimeout * 2); // a stray retry after delivery would show below
        await stopWatching.CancelAsync();
        var poisonMax = await poisonSeen;

        // No message reached the poison queue at any point, and nothing is left to process.
        Assert.Equal(0, poisonMax);
        var census = await StorageCensus.TakeAsync(host.Tables, host.Queues);
        Assert.All(census.Messages, q => Assert.Equal(0, q.Value));

        // Every call failed at impact.com more often than the old maxDequeueCount allowed (the old settings would have
        // poisoned it), fewer times than the new one allows, and for longer than the old horizon.
        var requests = host.Sinks.Requests;
        var impact = requests.Where(r => r.Path == SoakHostFixture.ImpactLogCallData)
            .Select(r => (CallId: QueryHelpers.ParseQuery(r.Body)["CallSessionId"].ToString(), Request: r)).ToList();
        foreach (var callId in callIds)
        {
            var attempts = impactRows[callId].GetInt32("Attempts") ?? 0;
            Assert.True(attempts > SinkOutageSoakHostFixture.OldMaxDequeueCount && attempts <= SinkOutageSoakHostFixture.MaxDequeueCount,
                $"{callId}: {attempts} processing attempts at impact.com");

            var refusals = impact.Where(i => i.CallId == callId && i.Request.Response?.Status == 503).Select(i => i.Request.ReceivedAt).ToList();
            var acks = impact.Where(i => i.CallId == callId && i.Request.Response?.Status == 200).Select(i => i.Request.ReceivedAt).ToList();
            // Delivered exactly once, after the recovery.
            var ack = Assert.Single(acks);
            Assert.True(ack >= restoredAt, $"{callId}: acknowledged at {ack:HH:mm:ss.fff}, before the recovery at {restoredAt:HH:mm:ss.fff}");
            Assert.True(ack - refusals.Min() > oldHorizon, $"{callId}: refused from {refusals.Min():HH:mm:ss.fff}, delivered at {ack:HH:mm:ss.fff}");
        }

        // The healthy sinks got each call once and were not sent it again by any of the retries.
        foreach (var (path, callIdOf) in new (string, Func<RecordedRequest, string>)[]
                 {
                     (SoakHostFixture.MixpanelTrack, r => JsonNode.Parse(r.Body)![0]!["properties"]!["Conversation UUID"]!.GetValue<string>()),
                     (SoakHostFixture.SegmentTrack, r => JsonNode.Parse(r.Body)!["messageId"]!.GetValue<string>()["inbound-call-".Length..]),
                 })
        {
            Assert.Equal(callIds, requests.Where(r => r.Path == path).Select(callIdOf).Order(StringComparer.Ordinal));
        }

        var counts = new Dictionary<string, object>
        {
            ["calls"] = Calls,
            ["visibilityTimeoutSeconds"] = SinkOutageSoakHostFixture.VisibilityTimeout.TotalSeconds,
            ["maxDequeueCount"] = SinkOutageSoakHostFixture.MaxDequeueCount,
            ["poisonHorizonSeconds"] = SinkOutageSoakHostFixture.PoisonHorizon.TotalSeconds,
            ["oldHorizonSeconds"] = oldHorizon.TotalSeconds,
            ["outageSeconds"] = Math.Round((restoredAt - outageStart).TotalSeconds, 1),
            ["impactAttempts"] = impactRows.Values.Select(r => r.GetInt32("Attempts") ?? 0).Order().ToList(),
            ["impactRefusals"] = impact.Count(i => i.Request.Response?.Status == 503),
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
        };
        var json = JsonSerializer.Serialize(counts, new JsonSerializerOptions { WriteIndented = true });
        output.WriteLine(json);
        Console.WriteLine("Sink outage soak: " + json);
    }

    private async Task CreateCampaignAsync()
    {
        var body = new JsonObject
        {
            ["id"] = Campaign.Id,
            ["name"] = "Outage " + Campaign.Id,
            ["trackingNumber"] = Campaign.TrackingNumber,
            ["agentNumber"] = Campaign.AgentNumber,
            ["recordCalls"] = Campaign.RecordCalls,
            ["impact"] = new JsonObject { ["campaignId"] = 1001, ["mediaId"] = 2002, ["actionTrackerId"] = 3003 },
        };
        var response = await host.Client.PutAsync(new Uri($"api/campaigns/{Campaign.Id}", UriKind.Relative), JsonBody.From(body));
        Assert.True(response.IsSuccessStatusCode, $"PUT campaign: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The largest poison queue length seen, sampled every half second until cancelled.</summary>
    private async Task<int> WatchPoisonAsync(CancellationToken stop)
    {
        var poison = host.Queues.GetQueueClient(StorageNames.CallsCompletedPoisonQueue);
        var max = 0;
        while (!stop.IsCancellationRequested)
        {
            if (await poison.ExistsAsync(CancellationToken.None))
            {
                max = Math.Max(max, (await poison.GetPropertiesAsync(CancellationToken.None)).Value.ApproximateMessagesCount);
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), stop);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return max;
    }

    private async Task<DateTimeOffset> FirstRefusalAsync(TimeSpan atMost)
    {
        for (var deadline = DateTime.UtcNow + atMost; DateTime.UtcNow < deadline; await Task.Delay(TimeSpan.FromMilliseconds(200)))
        {
            if (host.Sinks.RequestsTo(SoakHostFixture.ImpactLogCallData).FirstOrDefault() is { } first)
            {
                return first.ReceivedAt;
            }
        }

        throw new TimeoutException($"impact.com got no request within {atMost}:\n{host.Log}");
    }

    /// <summary>The impact.com delivery rows of the calls, once all of them say Delivered.</summary>
    private async Task<Dictionary<string, TableEntity>> WaitForImpactDeliveredAsync(IReadOnlyList<string> callIds, TimeSpan atMost)
    {
        var deliveries = host.Tables.GetTableClient(StorageNames.DeliveriesTable);
        for (var deadline = DateTime.UtcNow + atMost; ; await Task.Delay(TimeSpan.FromMilliseconds(500)))
        {
            var rows = new Dictionary<string, TableEntity>(StringComparer.Ordinal);
            await foreach (var row in deliveries.QueryAsync<TableEntity>(r => r.RowKey == ImpactSink.SinkName))
            {
                rows[row.PartitionKey] = row;
            }

            var open = callIds.Where(id => !rows.TryGetValue(id, out var row) || row.GetString("Status") != "Delivered").ToList();
            if (open.Count == 0)
            {
                return rows;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{open.Count} calls not delivered to impact.com {atMost} after the recovery, e.g. {open[0]}:\n{host.Log}");
        }
    }
}

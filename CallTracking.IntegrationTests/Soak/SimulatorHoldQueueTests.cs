using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Simulator;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Vonage;
using Xunit;
using Xunit.Abstractions;

namespace CallTracking.Tests.Soak;

/// <summary>The app behind the local host with its Voice API pointed at the simulator's own (<see cref="SimVoiceApi"/>).</summary>
public sealed class SimulatorHoldHostFixture : FunctionsHostFixture, IAsyncLifetime
{
    private readonly RSA _voiceKey = RSA.Create(2048);

    public SimVoiceApi VoiceApi { get; private set; } = null!;

    public new async Task InitializeAsync()
    {
        VoiceApi = SimVoiceApi.Start();
        await base.InitializeAsync();
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (VoiceApi is not null)
        {
            await VoiceApi.DisposeAsync();
        }

        _voiceKey.Dispose();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Vonage__VoiceApiBaseUrl"] = VoiceApi.BaseUrl;
        settings["Vonage__ApplicationId"] = "simulator-application";
        settings["Vonage__PrivateKey"] = _voiceKey.ExportPkcs8PrivateKeyPem().Replace("\n", "\\n", StringComparison.Ordinal);
        settings["CallTracking__ProcessingDelaySeconds"] = "2";
    }
}

[CollectionDefinition(Name)]
public sealed class SimulatorHoldHostCollection : ICollectionFixture<SimulatorHoldHostFixture>
{
    public const string Name = "SimulatorHoldHost";
}

/// <summary>
/// The simulator's hold scenario (<see cref="HoldPlayer"/>, <c>--hold-share</c>) against the real app through the local
/// host, its transfers landing on the simulator's own Voice API: two agents shared by three <c>whenBusy</c> campaigns.
/// The quick companion of the soak's hold calls: no caller transferred twice, none after hanging up, none left waiting,
/// every call in the ledger once with its hold outcome (no call for a transfer's new conversation), stats' hold block.
/// </summary>
[Collection(SimulatorHoldHostCollection.Name)]
public sealed class SimulatorHoldQueueTests(SimulatorHoldHostFixture host, ITestOutputHelper output)
{
    private static readonly SimCampaign[] Campaigns =
    [
        new() { Id = "simhold-a", TrackingNumber = "+442079460211", AgentNumber = "+447700900750", WhenBusy = HoldQueue() },
        new() { Id = "simhold-b", TrackingNumber = "+442079460212", AgentNumber = "+447700900750", WhenBusy = HoldQueue() },
        new() { Id = "simhold-c", TrackingNumber = "+442079460213", AgentNumber = "+447700900751", WhenBusy = HoldQueue() },
    ];

    [Fact]
    public async Task Simulated_hold_queues_transfer_each_waiting_caller_once_and_count_every_call_once_with_its_hold_outcome()
    {
        foreach (var campaign in Campaigns)
        {
            var body = new JsonObject
            {
                ["id"] = campaign.Id,
                ["name"] = campaign.Id,
                ["trackingNumber"] = campaign.TrackingNumber,
                ["agentNumber"] = campaign.AgentNumber,
                ["whenBusy"] = campaign.WhenBusy!.DeepClone(),
            };
            var response = await host.Client.PutAsync(new Uri($"api/campaigns/{campaign.Id}", UriKind.Relative), JsonBody.From(body));
            Assert.True(response.IsSuccessStatusCode, $"PUT campaign {campaign.Id}: {(int)response.StatusCode}");
        }

        using var http = SimulatorRun.CreateHttpClient(host.Host.BaseAddress, 16);
        var player = new HoldPlayer(http, new VonageRequestSigner(VonageTokens.Secret), host.VoiceApi) { TransferTimeout = TimeSpan.FromSeconds(60) };
        var report = await player.RunAsync(Campaigns, 24, Random.Shared.Next());
        var summary = HoldSummary.From(report);
        output.WriteLine(JsonSerializer.Serialize(summary));
        if (!summary.Clean || report.FailedRequests > 0)
        {
            output.WriteLine(string.Join('\n', report.Errors));
            output.WriteLine(string.Join('\n', host.Log.Split('\n').Where(l => l.Contains("Hold", StringComparison.Ordinal)
                || l.Contains("transfer", StringComparison.OrdinalIgnoreCase) || l.StartsWith("Error", StringComparison.Ordinal))));
        }

        Assert.True(summary.Clean, "no caller transferred twice or after hanging up, none left waiting, no connect while busy");
        Assert.Equal(0, report.FailedRequests);
        Assert.True(summary is { AnsweredAfterHold: > 0, AbandonedOnHold: > 0 });
        Assert.Equal(summary.AnsweredAfterHold, summary.Transfers);

        // Every call processed once, with the outcome played; a transfer's new conversation is never a call of its own.
        var calls = host.Tables.GetTableClient(StorageNames.CallsTable);
        var ledger = new Dictionary<string, CallRecord>();
        for (var deadline = DateTime.UtcNow.AddSeconds(60); ledger.Count < report.Calls.Count; await Task.Delay(250))
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {ledger.Count} of {report.Calls.Count} calls processed");
            foreach (var call in report.Calls.Where(c => !ledger.ContainsKey(c.ConversationUuid)))
            {
                var row = await calls.GetEntityIfExistsAsync<CallRecord>(call.ConversationUuid, CallRecord.RowKeyValue);
                if (row.HasValue && row.Value!.ProcessedAt is not null)
                {
                    ledger[call.ConversationUuid] = row.Value;
                }
            }
        }

        foreach (var call in report.Calls)
        {
            var row = ledger[call.ConversationUuid];
            Assert.Equal(call.Outcome.ToString(), row.Outcome);
            Assert.Equal(call.TalkSeconds, row.TalkSeconds);
            Assert.Equal((double)call.CarrierCost, row.CarrierCost ?? 0, 6);
        }

        var moved = await calls.QueryAsync<CallRecord>(c => c.RowKey == CallRecord.RowKeyValue && c.PartitionKey.CompareTo("CON-MOVED-") >= 0 && c.PartitionKey.CompareTo("CON-MOVED.") < 0)
            .Select(c => c.PartitionKey).ToListAsync();
        Assert.Empty(moved);

        var from = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        var to = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        foreach (var campaign in summary.Campaigns)
        {
            var stats = JsonNode.Parse(await host.Client.GetStringAsync(new Uri($"api/campaigns/{campaign.CampaignId}/stats?from={from}&to={to}", UriKind.Relative)))!;
            Assert.Equal(campaign.Calls, (int)stats["calls"]!);
            Assert.Equal(campaign.Held, (int)stats["hold"]!["held"]!);
            Assert.Equal(campaign.AnsweredAfterHold, (int)stats["hold"]!["answeredAfterHold"]!);
            Assert.Equal(campaign.AbandonedOnHold, (int)stats["hold"]!["abandonedOnHold"]!);
        }
    }

    private static JsonObject HoldQueue() => new() { ["holdMusicUrl"] = "https://example.com/hold.mp3", ["maxWaitSeconds"] = 3600 };
}

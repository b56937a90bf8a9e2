using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CallTracking.Simulator;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Vonage;
using Xunit;
using Xunit.Abstractions;

namespace CallTracking.Tests.Soak;

/// <summary>The app with its one Voice API base on a port the simulator run opens itself (<c>--voice-api-port</c>).</summary>
public sealed class SimulatorRunHostFixture : FunctionsHostFixture
{
    private readonly RSA _voiceKey = RSA.Create(2048);

    public int VoiceApiPort { get; } = FreePort();

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Vonage__VoiceApiBaseUrl"] = $"http://127.0.0.1:{VoiceApiPort}";
        settings["Vonage__ApplicationId"] = "simulator-application";
        settings["Vonage__PrivateKey"] = _voiceKey.ExportPkcs8PrivateKeyPem().Replace("\n", "\\n", StringComparison.Ordinal);
        settings["CallTracking__ProcessingDelaySeconds"] = "2";
    }
}

/// <summary>
/// The simulator's command line run (<see cref="SimulatorRun"/>) with a hold share and callbacks at once: its one Voice
/// API serves the app's hold transfers, callback attempts and recording downloads, and the summary has both blocks.
/// </summary>
public sealed class SimulatorRunHoldAndCallbackTests(SimulatorRunHostFixture host, ITestOutputHelper output) : IClassFixture<SimulatorRunHostFixture>
{
    [Fact]
    public async Task One_run_plays_hold_calls_and_callbacks_through_one_voice_api_and_summarises_both()
    {
        JsonObject[] campaigns =
        [
            new() { ["id"] = "simrun-hold-a", ["name"] = "Hold A", ["trackingNumber"] = "+442079460311", ["agentNumber"] = "+447700900850",
                ["whenBusy"] = new JsonObject { ["holdMusicUrl"] = "https://example.com/hold.mp3" } },
            new() { ["id"] = "simrun-hold-b", ["name"] = "Hold B", ["trackingNumber"] = "+442079460312", ["agentNumber"] = "+447700900850",
                ["whenBusy"] = new JsonObject { ["holdMusicUrl"] = "https://example.com/hold.mp3" } },
            new() { ["id"] = "simrun-callback", ["name"] = "Callback", ["trackingNumber"] = "+442079460313", ["agentNumber"] = "+447700900851",
                ["recordCalls"] = true, ["callback"] = new JsonObject { ["attempts"] = 1, ["intervalMinutes"] = 1, ["onlyWhenOpen"] = false } },
        ];
        foreach (var campaign in campaigns)
        {
            var response = await host.Client.PutAsync(new Uri($"api/campaigns/{campaign["id"]}", UriKind.Relative), JsonBody.From(campaign));
            Assert.True(response.IsSuccessStatusCode, $"PUT campaign {campaign["id"]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        var arguments = SimulatorArguments.Parse(
        [
            "--base-url", host.Host.BaseAddress.ToString(), "--signature-secret", VonageTokens.Secret, "--calls", "60", "--rate", "20",
            "--seed", "7", "--hold-share", "0.2", "--voice-api-port", host.VoiceApiPort.ToString(CultureInfo.InvariantCulture),
            "--callback-answer", "0.5", "--callback-wait", "20", "--quiet",
        ]);
        using var http = SimulatorRun.CreateHttpClient(arguments.BaseUrl, arguments.Concurrency);
        var summary = await SimulatorRun.RunAsync(arguments, http, CancellationToken.None);
        var text = summary.ToText();
        output.WriteLine(text);

        Assert.True(summary.FailedRequests == 0, string.Join('\n', summary.SampleErrors ?? []));
        Assert.True(summary.Hold is { Clean: true, Calls: 12, Transfers: > 0 }, "hold block: " + summary.ToJson());
        Assert.True(summary.Callbacks is { Attempted: > 0, FailedEvents: 0 }, "callbacks block: " + summary.ToJson());
        Assert.All(summary.Callbacks!.Campaigns, c => Assert.Equal("simrun-callback", c.CampaignId));
        Assert.Contains("Hold: 12 calls", text, StringComparison.Ordinal);
        Assert.Contains("Callbacks: ", text, StringComparison.Ordinal);
        var json = SimulationSummary.FromJson(summary.ToJson());
        Assert.Equal(summary.Hold.Transfers, json.Hold!.Transfers);
        Assert.Equal(summary.Callbacks.Attempted, json.Callbacks!.Attempted);
    }
}

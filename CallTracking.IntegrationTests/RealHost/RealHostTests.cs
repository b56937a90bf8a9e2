using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CallTracking.Simulator;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Vonage;
using Xunit;

namespace CallTracking.Tests.RealHost;

/// <summary>
/// The app under the host Azure runs (issue 11): every function loads, keys are enforced, and simulated calls go
/// through webhooks, the queue trigger and reporting to the same stats as under the local host.
/// </summary>
public sealed class RealHostTests(RealHostFixture host) : IClassFixture<RealHostFixture>
{
    private static readonly SimCampaign[] Campaigns =
    [
        new() { Id = "realhost-radio", TrackingNumber = "+442079460301", AgentNumber = "+447700900701", RecordCalls = true, WhisperText = "Radio caller" },
        new() { Id = "realhost-web", TrackingNumber = "+14155550301", AgentNumber = "+14155550302" },
    ];

    [RealHostFact]
    public void Every_function_of_the_app_loads_and_none_is_in_error()
    {
        var functions = JsonNode.Parse(File.ReadAllText(Path.Combine(FunctionsHostFixture.AppDirectory, "functions.metadata")))!.AsArray();

        Assert.Contains($"{functions.Count} functions loaded", host.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("function is in error", host.Log, StringComparison.Ordinal);
    }

    [RealHostFact]
    public async Task Function_level_routes_need_a_key_and_anonymous_ones_do_not()
    {
        using var anonymous = new HttpClient { BaseAddress = host.Client.BaseAddress };

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("api/campaigns", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri("api/health", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync(new Uri("api/campaigns", UriKind.Relative))).StatusCode);
    }

    [RealHostFact]
    public async Task Simulated_calls_reach_the_stats_through_webhooks_and_the_queue_trigger()
    {
        foreach (var campaign in Campaigns)
        {
            var body = new JsonObject
            {
                ["id"] = campaign.Id,
                ["name"] = "Real host " + campaign.Id,
                ["trackingNumber"] = campaign.TrackingNumber,
                ["agentNumber"] = campaign.AgentNumber,
                ["recordCalls"] = campaign.RecordCalls,
                ["whisperText"] = campaign.WhisperText,
            };
            var put = await host.Client.PutAsync(new Uri($"api/campaigns/{campaign.Id}", UriKind.Relative), JsonBody.From(body));
            Assert.True(put.IsSuccessStatusCode, $"PUT {campaign.Id}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }

        var calls = new ScenarioGenerator(new GeneratorOptions
        {
            Seed = 1129,
            DuplicateFraction = 0.1,
            ShuffleFraction = 0.2,
            CallsPerSecond = 20,
            Epoch = DateTimeOffset.UtcNow,
        }).Generate(Campaigns, 40);
        using var http = SimulatorRun.CreateHttpClient(host.Client.BaseAddress!, 8);
        var sender = new VonageSender(http, new VonageRequestSigner(VonageTokens.Secret),
            new SenderOptions { CallsPerSecond = 20, MaxConcurrentCalls = 8, MaxAttempts = 5 });
        var summary = SimulationSummary.From(1129, await sender.RunAsync(calls));
        Assert.Equal(0, summary.FailedRequests);

        foreach (var campaign in summary.Campaigns)
        {
            var stats = await WaitForStatsAsync(campaign.CampaignId, campaign.Calls);
            Assert.Equal(campaign.Outcomes.GetValueOrDefault(SimOutcome.Answered), (int)stats["answered"]!);
            Assert.Equal(campaign.Outcomes.GetValueOrDefault(SimOutcome.Abandoned), (int)stats["abandoned"]!);
            Assert.Equal(campaign.TalkSeconds, (int)stats["talkSeconds"]!);
        }
    }

    private async Task<JsonNode> WaitForStatsAsync(string campaignId, int calls)
    {
        JsonNode? stats = null;
        for (var attempt = 0; attempt < 120; attempt++)
        {
            stats = JsonNode.Parse(await host.Client.GetStringAsync(new Uri($"api/campaigns/{campaignId}/stats", UriKind.Relative)))!;
            if ((int)stats["calls"]! >= calls)
            {
                Assert.Equal(calls, (int)stats["calls"]!);
                return stats;
            }

            await Task.Delay(500);
        }

        throw new Xunit.Sdk.XunitException($"{campaignId}: {calls} calls expected in the stats; last answer: {stats}\n{host.Log[^Math.Min(host.Log.Length, 4000)..]}");
    }
}

using CallTracking.Tests.Calls;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Vonage;
using Xunit;

namespace CallTracking.Tests.HoldQueue;

/// <summary>The app's Voice API behind a relay the test can cut: connections refused, as in an outage.</summary>
public sealed class VoiceApiOutageFixture : FunctionsHostFixture, IAsyncLifetime
{
    private readonly int _relayPort = FreePorts.Next();

    public VoiceApiStub VoiceApi { get; private set; } = null!;

    public TcpRelay Relay { get; private set; } = null!;

    public new async Task InitializeAsync()
    {
        VoiceApi = await VoiceApiStub.StartAsync();
        VoiceApi.Server.OnAny(new StubResponse(204));
        Relay = new TcpRelay(_relayPort, new Uri(VoiceApi.BaseUrl).Port);
        Relay.Start();
        await base.InitializeAsync();
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Relay.DisposeAsync();
        await VoiceApi.DisposeAsync();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        foreach (var (key, value) in VoiceApi.EnvironmentSettings())
        {
            settings[key] = value;
        }

        settings["Vonage__VoiceApiBaseUrl"] = $"http://127.0.0.1:{_relayPort}";
    }
}

[CollectionDefinition(Name)]
public sealed class VoiceApiOutageCollection : ICollectionFixture<VoiceApiOutageFixture>
{
    public const string Name = "VoiceApiOutage";
}

/// <summary>
/// A transfer that cannot reach the Voice API at all (connections refused after the client's retries) was never
/// sent: the caller keeps their place, nobody behind them jumps the queue, and the transfer goes out once the API
/// is back.
/// </summary>
[Collection(VoiceApiOutageCollection.Name)]
public class HoldQueueVoiceApiOutageTests(VoiceApiOutageFixture host) : HoldQueueScenario(host, host.VoiceApi)
{
    [Fact]
    public async Task A_transfer_that_cannot_be_sent_keeps_the_callers_place_and_goes_out_when_the_voice_api_is_back()
    {
        var (tracking, agent) = ("447700980004", "447700980104");
        await PutCampaignAsync("hold-outage", tracking, agent, maxWaitSeconds: 600);
        var a = new CallEvents("CON-A-" + Guid.NewGuid(), tracking, "447700980205", agent);
        await AnswerAsync(a);
        await EventsAsync(a.Inbound("answered", 0.2), a.AgentLeg("answered", 5));
        var first = new CallEvents("CON-1-" + Guid.NewGuid(), tracking, "447700980206", agent);
        var second = new CallEvents("CON-2-" + Guid.NewGuid(), tracking, "447700980207", agent);
        Assert.DoesNotContain(await AnswerAsync(first), x => ActionOf(x) == "connect");
        Assert.DoesNotContain(await AnswerAsync(second), x => ActionOf(x) == "connect");

        await host.Relay.CutAsync();
        await EventAsync(a.AgentLeg("completed", 60)); // returns once the client has given up on the refused connections
        Assert.Empty(VoiceApi.Server.Requests);
        Assert.Null((await CallAsync(first.ConversationUuid)).HoldResult);
        host.Relay.Start();

        var transfer = await SingleTransferAsync(first.InboundUuid);
        VoiceApi.AssertSignedByApplication(transfer);
        Assert.Empty(TransfersOf(second.InboundUuid));
        Assert.Equal("transferred", (await CallAsync(first.ConversationUuid)).HoldResult);
    }
}

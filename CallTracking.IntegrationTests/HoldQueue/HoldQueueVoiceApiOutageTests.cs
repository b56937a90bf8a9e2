using CallTracking.Tests.Calls;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.HoldQueue;

/// <summary>The app's Voice API behind a relay the test can cut: connections refused, as in an outage.</summary>
public sealed class VoiceApiOutageFixture : HoldQueueHostFixture, IAsyncLifetime
{
    private readonly int _relayPort = FreePorts.Next();

    public TcpRelay Relay { get; private set; } = null!;

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Relay.DisposeAsync();
    }

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        Relay = new TcpRelay(_relayPort, new Uri(VoiceApi.BaseUrl).Port);
        Relay.Start();
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
        var (a, first) = await AgentBusyWithCallerOnHoldAsync("hold-outage", "447700980004", "447700980104", maxWaitSeconds: 600);
        var second = new CallEvents("CON-2-" + Guid.NewGuid(), a.TrackingNumber, TestNumbers.Digits(TestNumbers.London()), a.Agent);
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

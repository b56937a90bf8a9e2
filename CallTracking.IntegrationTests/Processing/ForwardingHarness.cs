using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.Processing;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Processing;

/// <summary>
/// The app's real services against Azurite, with Mixpanel, impact.com and Segment played by one HTTP stub
/// (each under its own path prefix), answering success unless a test programs otherwise.
/// </summary>
public sealed class ForwardingHarness : IAsyncDisposable
{
    public const string MixpanelTrack = "/mixpanel/track";
    public const string MixpanelEngage = "/mixpanel/engage";
    public const string ImpactLogCallData = "/calldata/logCallData";
    public const string SegmentTrack = "/segment/v1/track";

    public const string MixpanelToken = "mp-token-4f1e";
    public const string ImpactSid = "IRsid-77a1";
    public const string ImpactToken = "impact-secret-9b2c";
    public const string SegmentWriteKey = "seg-write-5d3a";

    public const string MixpanelOk = "{\"status\":1,\"error\":null}";

    private ForwardingHarness(HttpStubServer stub, ServiceProvider services)
    {
        Stub = stub;
        Services = services;
    }

    public HttpStubServer Stub { get; }

    public ServiceProvider Services { get; }

    public CallStore Calls => Services.GetRequiredService<CallStore>();

    public DeliveryLedger Ledger => Services.GetRequiredService<DeliveryLedger>();

    /// <summary>Resolved per use, as the Functions worker resolves it per invocation.</summary>
    public CallProcessor Processor => Services.GetRequiredService<CallProcessor>();

    public static async Task<ForwardingHarness> StartAsync(AzuriteFixture azurite, IDictionary<string, string?>? extra = null,
        Action<IServiceCollection>? configure = null)
    {
        var stub = await HttpStubServer.StartAsync();
        stub.On("POST", MixpanelTrack, StubResponse.Json(200, MixpanelOk))
            .On("POST", MixpanelEngage, StubResponse.Json(200, MixpanelOk))
            .On("POST", ImpactLogCallData, StubResponse.Json(200, "{\"Status\":\"OK\"}"))
            .On("POST", SegmentTrack, StubResponse.Json(200, "{\"success\":true}"));

        var settings = new Dictionary<string, string?>
        {
            ["Mixpanel:Token"] = MixpanelToken,
            ["Mixpanel:ApiBaseUrl"] = stub.BaseUrl + "/mixpanel",
            ["Impact:AccountSid"] = ImpactSid,
            ["Impact:AuthToken"] = ImpactToken,
            ["Impact:ApiBaseUrl"] = stub.BaseUrl + "/calldata/",
            ["Segment:WriteKey"] = SegmentWriteKey,
            ["Segment:ApiBaseUrl"] = stub.BaseUrl + "/segment",
            ["Forwarding:RetryDelayMilliseconds"] = "20",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new ForwardingHarness(stub, TestServices.Create(azurite, settings, configure));
    }

    public async Task<Campaign> CreateCampaignAsync(bool withImpactIds = true)
    {
        var campaign = new Campaign
        {
            Id = TestServices.UniqueId("camp"),
            Name = "Spring radio ad",
            TrackingNumber = "+1415555" + Random.Shared.Next(1000, 9999),
            AgentNumber = "+14155550199",
            Impact = withImpactIds ? new ImpactIds(1234, 567890, 42) : null,
        };
        await Services.GetRequiredService<CampaignStore>().SaveAsync([campaign]);
        return campaign;
    }

    /// <summary>Writes the ledger row as the webhooks would have left it.</summary>
    public async Task<CallRecord> AddCallAsync(CallRecord call)
    {
        Assert.True(await Calls.TryAddAsync(call));
        return call;
    }

    public async Task<Dictionary<string, DeliveryRecord>> LedgerAsync(string callId) =>
        (await Ledger.GetAsync(callId)).ToDictionary(r => r.RowKey);

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Stub.DisposeAsync();
    }

    public static readonly DateTimeOffset StartOfCall = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);

    /// <summary>Caller +442071838750 rang the campaign's number; the agent answered after 12 s and talked 83 s.</summary>
    public static CallRecord AnsweredCall(Campaign? campaign, string? caller = "+442071838750") => new()
    {
        PartitionKey = "CON-" + Guid.NewGuid(),
        CampaignId = campaign?.Id,
        TrackingNumber = campaign?.TrackingNumber ?? "+14155550100",
        CallerNumber = caller,
        AgentNumber = campaign?.AgentNumber,
        Route = "connect",
        AnsweredAt = StartOfCall,
        InboundLegUuid = Guid.NewGuid().ToString(),
        InboundStatus = "completed",
        InboundStatusAt = StartOfCall.AddSeconds(95),
        InboundStartTime = StartOfCall,
        InboundEndTime = StartOfCall.AddSeconds(95),
        InboundDurationSeconds = 95,
        InboundPrice = 0.0095,
        InboundRate = 0.006,
        AgentLegUuid = Guid.NewGuid().ToString(),
        AgentStatus = "completed",
        AgentStatusAt = StartOfCall.AddSeconds(95),
        AgentAnsweredAt = StartOfCall.AddSeconds(12),
        AgentEndTime = StartOfCall.AddSeconds(95),
        AgentDurationSeconds = 83,
        AgentPrice = 0.0083,
        RecordingUrl = "https://api.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
        CompletedAt = StartOfCall.AddSeconds(95),
        EnqueuedAt = StartOfCall.AddSeconds(96),
    };

    /// <summary>The agent leg ended with <paramref name="agentStatus"/> without being answered; the caller's leg lasted 30 s.</summary>
    public static CallRecord MissedCall(Campaign campaign, string? agentStatus, string? detail = null, string route = "connect")
    {
        var call = AnsweredCall(campaign);
        call.Route = route;
        call.InboundEndTime = StartOfCall.AddSeconds(30);
        call.InboundDurationSeconds = 30;
        call.AgentAnsweredAt = null;
        call.AgentEndTime = null;
        call.AgentDurationSeconds = null;
        call.AgentPrice = null;
        call.AgentStatus = agentStatus;
        call.AgentDetail = detail;
        call.RecordingUrl = null;
        if (route != "connect")
        {
            call.AgentLegUuid = null;
            call.AgentStatus = null;
        }

        return call;
    }
}

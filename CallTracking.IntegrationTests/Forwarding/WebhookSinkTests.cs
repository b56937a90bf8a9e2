using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.Processing;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Processing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static CallTracking.Tests.Processing.ForwardingHarness;

namespace CallTracking.Tests.Forwarding;

/// <summary>The outgoing signed callbacks (fifth sink) through the real delivery ledger on Azurite, against a stub receiver.</summary>
[Collection(AzuriteCollection.Name)]
public class WebhookSinkTests(AzuriteFixture azurite)
{
    private const string Hook = "/hooks/calls";
    private const string CampaignHook = "/crm/hook";
    private const string Secret = "whsec-test-5f0c9a7d21";

    [Fact]
    public async Task A_finished_call_is_posted_once_signed_with_a_stable_delivery_id_under_duplicates_and_a_500_then_200()
    {
        await using var stub = await HttpStubServer.StartAsync();
        stub.On("POST", Hook, StubResponse.Json(500, "{}"), StubResponse.Json(200, "{}"));
        await using var harness = await ForwardingHarness.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Webhooks:Url"] = stub.BaseUrl + Hook,
            ["Webhooks:Secret"] = Secret,
        });
        var campaign = await harness.CreateCampaignAsync();
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        // Four copies of the message at once, then a redelivery: the ledger lets one send through.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            try
            {
                await harness.Processor.ProcessAsync(call.PartitionKey);
            }
            catch (DeliveryIncompleteException)
            {
                // another processor was delivering: the queue retries it
            }
        }));
        await harness.Processor.ProcessAsync(call.PartitionKey);

        var requests = stub.RequestsTo(Hook);
        Assert.Equal(2, requests.Count); // the 500, then the 200, within one send's retries
        Assert.Equal(500, requests[0].Response!.Status);
        Assert.Equal(requests[0].Body, requests[1].Body);
        Assert.Equal(requests[0].Header("X-CallTracking-Delivery"), requests[1].Header("X-CallTracking-Delivery"));
        foreach (var request in requests)
        {
            Assert.True(WebhookSignature.Verify(Secret, request.Header("X-CallTracking-Signature"), request.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
            Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        }

        Assert.Equal(WebhookRequest.DeliveryId(call.PartitionKey, WebhookSink.SinkName, new Uri(stub.BaseUrl + Hook)),
            requests[1].Header("X-CallTracking-Delivery"));
        var body = requests[1].Json();
        Assert.Equal("call.completed", body.GetProperty("event").GetString());
        Assert.Equal(call.PartitionKey, body.GetProperty("id").GetString());
        Assert.Equal(campaign.Id, body.GetProperty("campaign").GetString());
        Assert.Equal("inbound", body.GetProperty("direction").GetString());
        Assert.Equal("+442071838750", body.GetProperty("caller").GetString());
        Assert.Equal(campaign.TrackingNumber, body.GetProperty("trackingNumber").GetString());
        Assert.Equal(campaign.AgentNumber, body.GetProperty("agentNumber").GetString());
        Assert.Equal("Answered", body.GetProperty("outcome").GetString());
        Assert.Equal("2026-03-02T09:30:00.000Z", body.GetProperty("startedAt").GetString());
        Assert.Equal("2026-03-02T09:30:12.000Z", body.GetProperty("answeredAt").GetString());
        Assert.Equal(95, body.GetProperty("callSeconds").GetInt32());
        Assert.Equal(83, body.GetProperty("talkSeconds").GetInt32());
        Assert.Equal(0.0178m, body.GetProperty("cost").GetDecimal());
        Assert.Equal(call.RecordingUrl, body.GetProperty("recordingUrl").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("attemptNumber").ValueKind);

        var ledger = await harness.LedgerAsync(call.PartitionKey);
        Assert.Equal(DeliveryStatus.Delivered, ledger[WebhookSink.SinkName].StatusValue);
        Assert.Equal(2, ledger[WebhookSink.SinkName].HttpRequests);
        Assert.Equal(DeliveryStatus.Skipped, ledger[CampaignWebhookSink.SinkName].StatusValue); // no callbackUrl
    }

    [Fact]
    public async Task A_campaign_callback_url_gets_its_own_delivery_beside_the_global_one()
    {
        await using var stub = await HttpStubServer.StartAsync();
        stub.On("POST", Hook, StubResponse.Json(200, "{}")).On("POST", CampaignHook, StubResponse.Json(204, ""));
        await using var harness = await ForwardingHarness.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Webhooks:Url"] = stub.BaseUrl + Hook,
            ["Webhooks:Secret"] = Secret,
            ["Webhooks:AllowPrivateNetworks"] = "true", // the stub listens on loopback
        });
        var campaign = await SaveCampaignAsync(harness, stub.BaseUrl + CampaignHook);
        var call = await harness.AddCallAsync(MissedCall(campaign, "timeout"));

        await harness.Processor.ProcessAsync(call.PartitionKey);
        await harness.Processor.ProcessAsync(call.PartitionKey);

        var global = Assert.Single(stub.RequestsTo(Hook));
        var own = Assert.Single(stub.RequestsTo(CampaignHook));
        Assert.Equal(global.Body, own.Body);
        Assert.NotEqual(global.Header("X-CallTracking-Delivery"), own.Header("X-CallTracking-Delivery"));
        Assert.True(WebhookSignature.Verify(Secret, own.Header("X-CallTracking-Signature"), own.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.Equal("Timeout", own.Json().GetProperty("outcome").GetString());
        Assert.Equal(DeliveryStatus.Delivered, (await harness.LedgerAsync(call.PartitionKey))[CampaignWebhookSink.SinkName].StatusValue);
    }

    [Fact]
    public async Task A_campaign_callback_url_on_a_private_address_is_refused_for_good_without_a_request()
    {
        await using var stub = await HttpStubServer.StartAsync();
        stub.On("POST", CampaignHook, StubResponse.Json(200, "{}"));
        await using var harness = await ForwardingHarness.StartAsync(azurite, new Dictionary<string, string?> { ["Webhooks:Secret"] = Secret });
        var campaign = await SaveCampaignAsync(harness, stub.BaseUrl + CampaignHook);
        var call = await harness.AddCallAsync(AnsweredCall(campaign));

        await harness.Processor.ProcessAsync(call.PartitionKey);

        Assert.Empty(stub.RequestsTo(CampaignHook));
        var row = (await harness.LedgerAsync(call.PartitionKey))[CampaignWebhookSink.SinkName];
        Assert.Equal(DeliveryStatus.Failed, row.StatusValue);
        Assert.Contains("no public address", row.LastError, StringComparison.Ordinal);
    }

    /// <summary>Stored directly: the validator (rightly) refuses the stub's http loopback URL.</summary>
    private static async Task<Campaign> SaveCampaignAsync(ForwardingHarness harness, string callbackUrl)
    {
        var campaign = new Campaign
        {
            Id = TestServices.UniqueId("hook"),
            Name = "CRM hook",
            TrackingNumber = "+1415555" + Random.Shared.Next(1000, 9999),
            AgentNumber = "+14155550199",
            CallbackUrl = callbackUrl,
        };
        await harness.Services.GetRequiredService<CampaignStore>().SaveAsync([campaign]);
        return campaign;
    }
}

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// Segment HTTP Tracking API <c>track</c> (Basic auth with the write key as user name). Segment deduplicates on
/// <c>messageId</c>, which is derived from the call id.
/// </summary>
public sealed class SegmentSink(HttpClient http, IOptions<SegmentOptions> options) : IDeliverySink
{
    public const string SinkName = "segment";
    public const string TrackPath = "v1/track";

    public string Name => SinkName;

    public bool IsEnabled => options.Value.IsConfigured;

    public string? SkipReason(ForwardedCall call) => null;

    public async Task<SinkResult> SendAsync(ForwardedCall call, CancellationToken cancellationToken)
    {
        var writeKey = options.Value.WriteKey;
        using var request = new HttpRequestMessage(HttpMethod.Post, TrackPath)
        {
            Content = new StringContent(BuildTrack(call).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        return await SinkHttp.SendAsync(http, request, null, [writeKey], cancellationToken);
    }

    public static JsonObject BuildTrack(ForwardedCall forwarded)
    {
        var call = forwarded.Call;
        var properties = new JsonObject
        {
            ["campaignId"] = forwarded.Campaign?.Id ?? call.CampaignId,
            ["campaignName"] = forwarded.Campaign?.Name,
            ["trackingNumber"] = call.TrackingNumber,
            ["outcome"] = call.Outcome.ToString(),
            ["callDuration"] = call.CallSeconds,
            ["talkDuration"] = call.TalkSeconds,
            ["cost"] = call.CarrierCost,
            ["currency"] = "EUR",
            ["callerCountry"] = CallFacts.CallerCountry(call),
            ["callerRegion"] = call.CallerRegion,
            ["callerCarrier"] = call.CallerCarrier,
            ["callerLineType"] = call.CallerLineType,
            ["firstTimeCaller"] = call.FirstTimeCaller,
            ["recorded"] = call.RecordingUrl is not null,
            ["conversationUuid"] = forwarded.CallId,
        };
        MixpanelEventSink.RemoveNulls(properties);

        var track = new JsonObject
        {
            [CallFacts.IsWithheld(call) ? "anonymousId" : "userId"] = CallFacts.UserId(call),
            ["event"] = CallFacts.EventName,
            ["properties"] = properties,
            ["timestamp"] = CallFacts.Iso(call.StartedAt),
            ["messageId"] = "inbound-call-" + forwarded.CallId,
            ["context"] = new JsonObject { ["library"] = new JsonObject { ["name"] = "CallTracking" } },
        };
        return track;
    }
}

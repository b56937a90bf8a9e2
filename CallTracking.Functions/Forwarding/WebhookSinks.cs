using System.Text;
using System.Text.Json.Nodes;
using CallTracking.Functions.Processing;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// The outgoing callback to the global <c>Webhooks__Url</c>: one signed <c>POST</c> of the call record per finished
/// call. Receivers deduplicate on <c>X-CallTracking-Delivery</c>, stable per call and target: the ledger gives
/// at-least-once (a retry after a timeout may repeat a request that did arrive), the id makes it once.
/// </summary>
public sealed class WebhookSink(HttpClient http, IOptions<WebhookOptions> options, TimeProvider time) : IOutboundCallSink
{
    public const string SinkName = "webhook";

    public string Name => SinkName;

    public bool IsEnabled => options.Value.IsConfigured;

    public string? SkipReason(ForwardedCall call) => null;

    public Task<SinkResult> SendAsync(ForwardedCall call, CancellationToken cancellationToken) =>
        WebhookRequest.SendAsync(http, new Uri(options.Value.Url!, UriKind.Absolute), SinkName, call, options.Value.Secret!, time, cancellationToken);
}

/// <summary>
/// The outgoing callback to a campaign's own <c>callbackUrl</c> (its own ledger row, so each target gets the call
/// once). Its HttpClient refuses loopback and private addresses at connect time (<see cref="PublicAddressGuard"/>).
/// </summary>
public sealed class CampaignWebhookSink(HttpClient http, IOptions<WebhookOptions> options, TimeProvider time) : IOutboundCallSink
{
    public const string SinkName = "webhook-campaign";

    public string Name => SinkName;

    /// <summary>On with the signing secret; each call then goes where its campaign says, or is skipped.</summary>
    public bool IsEnabled => options.Value.HasSecret;

    public string? SkipReason(ForwardedCall call) =>
        call.Campaign?.CallbackUrl is null ? "the campaign has no callbackUrl" : null;

    public async Task<SinkResult> SendAsync(ForwardedCall call, CancellationToken cancellationToken)
    {
        var target = new Uri(call.Campaign!.CallbackUrl!, UriKind.Absolute);
        if (!options.Value.AllowPrivateNetworks && await PublicAddressGuard.RefusalAsync(target.DnsSafeHost, cancellationToken) is { } refusal)
        {
            // Permanent: retrying cannot make a private address public (the connect step would refuse it anyway).
            return SinkResult.Permanent(refusal, null);
        }

        return await WebhookRequest.SendAsync(http, target, SinkName, call, options.Value.Secret!, time, cancellationToken);
    }
}

/// <summary>The request both webhook sinks send, and its body.</summary>
public static class WebhookRequest
{
    public const string CallCompletedEvent = "call.completed";

    public const string CallbackExhaustedEvent = "callback.exhausted";

    public static async Task<SinkResult> SendAsync(HttpClient http, Uri target, string sinkName, ForwardedCall call, string secret,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var body = BuildBody(call).ToJsonString();
        using var request = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader,
            WebhookSignature.Create(secret, time.GetUtcNow().ToUnixTimeSeconds(), body));
        request.Headers.TryAddWithoutValidation(WebhookSignature.DeliveryHeader, DeliveryId(call.CallId, sinkName, target));
        return await SinkHttp.SendAsync(http, request, null, [secret], cancellationToken);
    }

    /// <summary>Stable per call and target: the same on every retry, different for another target or call.</summary>
    public static string DeliveryId(string callId, string sinkName, Uri target) =>
        CallFacts.MessageId(callId, sinkName + "|" + target.AbsoluteUri);

    /// <summary>
    /// The last callback attempt of a missed call that did not reach the caller: its record goes out as
    /// <c>callback.exhausted</c> instead of <c>call.completed</c>.
    /// </summary>
    public static bool IsExhaustedCallback(ForwardedCall forwarded) =>
        forwarded.Call.AttemptNumber is { } attempt && forwarded.Call.Outcome != CallOutcome.Answered
        && attempt >= (forwarded.Campaign?.Callback?.Attempts ?? attempt);

    /// <summary>The call record, every field present (null when unknown) so receivers see one shape.</summary>
    public static JsonObject BuildBody(ForwardedCall forwarded)
    {
        var call = forwarded.Call;
        return new JsonObject
        {
            ["event"] = IsExhaustedCallback(forwarded) ? CallbackExhaustedEvent : CallCompletedEvent,
            ["id"] = call.CallId,
            ["campaign"] = forwarded.Campaign?.Id ?? call.CampaignId,
            ["campaignName"] = forwarded.Campaign?.Name,
            ["direction"] = call.Direction ?? "inbound",
            ["caller"] = call.CallerNumber,
            ["trackingNumber"] = call.TrackingNumber,
            ["agentNumber"] = call.AgentNumber,
            ["outcome"] = call.Outcome.ToString(),
            ["startedAt"] = CallFacts.Iso(call.StartedAt),
            ["answeredAt"] = call.AgentLeg.AnsweredAt is { } answered ? CallFacts.Iso(answered) : null,
            ["completedAt"] = call.CompletedAt is { } completed ? CallFacts.Iso(completed) : null,
            ["callSeconds"] = call.CallSeconds,
            ["talkSeconds"] = call.TalkSeconds,
            ["cost"] = call.CarrierCost,
            ["currency"] = "EUR",
            ["recordingUrl"] = forwarded.PublishedRecordingUrl,
            ["attemptNumber"] = call.AttemptNumber,
            ["callbackOf"] = call.CallbackOf,
        };
    }
}

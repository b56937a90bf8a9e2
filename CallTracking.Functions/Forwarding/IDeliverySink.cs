using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Processing;

namespace CallTracking.Functions.Forwarding;

/// <summary>A processed call, as the sinks see it.</summary>
/// <param name="Campaign">Null when the number belongs to no campaign (or the campaign was deleted).</param>
public sealed record ForwardedCall(ProcessedCall Call, Campaign? Campaign)
{
    public string CallId => Call.CallId;

    /// <summary>
    /// The recording link sinks publish: our archived copy (<c>/api/calls/{id}/recording</c>) when the app knows its
    /// public address, since Vonage deletes its own after 30 days; else Vonage's URL.
    /// </summary>
    public string? PublishedRecordingUrl { get; init; } = Call.RecordingUrl;
}

/// <summary>One destination a processed call is forwarded to, with its own row in the delivery ledger.</summary>
public interface IDeliverySink
{
    /// <summary>The ledger row key, e.g. <c>mixpanel</c>; stable forever.</summary>
    string Name { get; }

    /// <summary>False when the sink's settings are absent: it is left out entirely.</summary>
    bool IsEnabled { get; }

    /// <summary>Null when the sink applies to this call; else why it is skipped.</summary>
    string? SkipReason(ForwardedCall call);

    /// <summary>Sends once (the HTTP client retries within); never throws for HTTP or network failures.</summary>
    Task<SinkResult> SendAsync(ForwardedCall call, CancellationToken cancellationToken);
}

/// <summary>How one send ended.</summary>
/// <param name="Status">Delivered, Failed (permanent) or Pending (transient: retry later).</param>
public sealed record SinkResult(DeliveryStatus Status, int? HttpStatus, string? Error)
{
    /// <summary>HTTP requests this send made, retries within the HTTP client included.</summary>
    public int HttpRequests { get; init; }

    public static SinkResult Delivered(int httpStatus) => new(DeliveryStatus.Delivered, httpStatus, null);

    public static SinkResult Permanent(string error, int? httpStatus) => new(DeliveryStatus.Failed, httpStatus, error);

    public static SinkResult Transient(string error, int? httpStatus) => new(DeliveryStatus.Pending, httpStatus, error);
}

/// <summary>
/// A sink that also gets missed-call callback attempts (outbound calls, <c>Callbacks/</c>): the outgoing webhooks. The
/// others carry inbound calls only (analytics, affiliates), and the forwarder skips attempts for them.
/// </summary>
public interface IOutboundCallSink : IDeliverySink;

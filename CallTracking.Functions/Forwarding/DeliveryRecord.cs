using Azure;
using Azure.Data.Tables;

namespace CallTracking.Functions.Forwarding;

/// <summary>Where one call stands with one sink.</summary>
public enum DeliveryStatus
{
    /// <summary>Not delivered yet: being sent, or waiting for a retry after a transient failure.</summary>
    Pending,

    /// <summary>The sink accepted it; never sent again.</summary>
    Delivered,

    /// <summary>The sink refused it for good (4xx, or an error body); not retried.</summary>
    Failed,

    /// <summary>The sink does not apply to this call (e.g. no impact ids on the campaign, withheld caller).</summary>
    Skipped,
}

/// <summary>
/// One row of the delivery ledger (table <c>Deliveries</c>): PartitionKey = call id, RowKey = sink name,
/// so a call's rows are read in one query and written in one entity-group transaction.
/// </summary>
public sealed class DeliveryRecord : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary>A <see cref="DeliveryStatus"/> name.</summary>
    public string Status { get; set; } = nameof(DeliveryStatus.Pending);

    /// <summary>How many times a send was started (one per processing of the call).</summary>
    public int Attempts { get; set; }

    /// <summary>HTTP requests made over all attempts (the HTTP client retries 429/5xx within an attempt).</summary>
    public int HttpRequests { get; set; }

    /// <summary>The last failure, without secrets; null once delivered.</summary>
    public string? LastError { get; set; }

    public int? LastHttpStatus { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>
    /// While a processor is sending, other processors (a duplicate message) leave the sink alone until then;
    /// after it, a crashed send may be taken over.
    /// </summary>
    public DateTimeOffset? ClaimedUntil { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }

    public DeliveryStatus StatusValue =>
        Enum.TryParse<DeliveryStatus>(Status, ignoreCase: true, out var status) ? status : DeliveryStatus.Pending;

    /// <summary>Delivered, failed for good and skipped rows are never sent again.</summary>
    public bool IsFinal => StatusValue is DeliveryStatus.Delivered or DeliveryStatus.Failed or DeliveryStatus.Skipped;

    /// <summary>
    /// The recording URL the delivered payload carried (sinks that carry it, <see cref="IRecordingSink"/>): a recording
    /// that arrives after the delivery differs from it and is sent once more as an update.
    /// </summary>
    public string? SentRecordingUrl { get; set; }
}

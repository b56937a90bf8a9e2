using Azure;
using Azure.Data.Tables;

namespace CallTracking.Functions.Callbacks;

/// <summary>
/// Table <c>Callbacks</c>. Three kinds of row:
/// <list type="bullet">
/// <item>PK missed call id, RK <c>attempt|n</c>: the slot of attempt n, inserted before the Voice API is called (the
/// claim that makes an attempt happen once); then the placed call and, once processed, whether it connected.</item>
/// <item>PK <c>campaign|&lt;id&gt;</c>, RK <c>&lt;missed call id&gt;|n</c>: the same attempt, by campaign, for the stats.</item>
/// <item>PK <c>answered|&lt;caller&gt;</c>, RK campaign id: when the caller last had an answered call on that campaign.</item>
/// </list>
/// </summary>
public sealed class CallbackSlot : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string? CampaignId { get; set; }

    public string? MissedCallId { get; set; }

    public int Attempt { get; set; }

    /// <summary>claimed (the Voice API call is under way or its answer was lost), placed, refused (the API said no).</summary>
    public string? Status { get; set; }

    public DateTimeOffset? ClaimedAt { get; set; }

    public DateTimeOffset? PlacedAt { get; set; }

    /// <summary>The attempt's conversation uuid (its own call record).</summary>
    public string? AttemptCallId { get; set; }

    public string? Error { get; set; }

    /// <summary>Set when the attempt call was processed: whether the caller was connected.</summary>
    public bool? Connected { get; set; }

    public string? Outcome { get; set; }

    /// <summary>Answered-marker rows: when the caller last had an answered call.</summary>
    public DateTimeOffset? LastAnsweredAt { get; set; }

    public static string SlotKey(int attempt) => "attempt|" + attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string CampaignPartition(string campaignId) => "campaign|" + campaignId;

    public static string AnsweredPartition(string caller) => "answered|" + caller;
}

using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;

namespace CallTracking.Functions.HoldQueue;

/// <summary>
/// One agent's availability (table <c>Agents</c>, PK = agent E.164, RK = <see cref="RowKeyValue"/>). An agent is a
/// phone number, shared by every campaign that rings it. Written only ETag-conditionally.
/// </summary>
public sealed class AgentState : ITableEntity
{
    public const string RowKeyValue = "agent";

    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = RowKeyValue;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary>The call (conversation uuid) the agent is on, or is being transferred to; null when free.</summary>
    public string? BusyCall { get; set; }

    public DateTimeOffset? BusySince { get; set; }

    /// <summary>True while a waiting caller is being transferred to the agent and the agent has not answered yet.</summary>
    public bool Reserved { get; set; }

    /// <summary>The last call seen ending: an <c>answered</c> that arrives after its <c>completed</c> does not mark the agent busy.</summary>
    public string? LastFreedCall { get; set; }

    /// <summary>The agent is free: on no call, reserved for nobody.</summary>
    public void Release()
    {
        BusyCall = null;
        BusySince = null;
        Reserved = false;
    }
}

/// <summary>
/// A caller waiting for an agent (table <c>Agents</c>, same partition as the agent, so that taking the first caller
/// and reserving the agent is one entity-group transaction). RK = <c>wait|{ticks}|{leg}</c>: first come, first served.
/// </summary>
public sealed class WaitEntry : ITableEntity
{
    public const string Prefix = "wait|";

    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string CallId { get; set; } = "";

    /// <summary>The caller's leg, the one a transfer moves.</summary>
    public string LegUuid { get; set; } = "";

    public string CampaignId { get; set; } = "";

    public string? RegionUrl { get; set; }

    /// <summary>
    /// The conversation the caller's leg was in when it joined: a transfer moves the leg to a new one, which is how a
    /// transfer whose answer was lost is told apart from one that never happened (<c>GET /v1/calls/{uuid}</c>).
    /// </summary>
    public string? LegConversation { get; set; }

    /// <summary>The public base URL for the webhooks in the transfer's NCCO.</summary>
    public string CallbackBase { get; set; } = "";

    public DateTimeOffset EnqueuedAt { get; set; }

    public static string RowKeyFor(DateTimeOffset at, string legUuid) => $"{Prefix}{at.UtcTicks:D19}|{legUuid}";
}

/// <summary>What happened to one waiting caller (table <c>HoldCalls</c>, PK = caller leg uuid, RK = <see cref="RowKeyValue"/>).</summary>
public sealed class HoldCall : ITableEntity
{
    public const string RowKeyValue = "hold";

    public const string Waiting = "waiting";
    public const string Transferred = "transferred";
    public const string Abandoned = "abandoned";
    public const string Voicemail = "voicemail";
    public const string Message = "message";
    public const string TransferFailed = "transfer-failed";

    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = RowKeyValue;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary>The call (original conversation uuid): later conversations of this leg are joined to it.</summary>
    public string CallId { get; set; } = "";

    public string AgentNumber { get; set; } = "";

    public string CampaignId { get; set; } = "";

    /// <summary>The caller's current <see cref="WaitEntry"/> row key.</summary>
    public string? WaitRowKey { get; set; }

    /// <summary>Where the leg waited (see <see cref="WaitEntry.LegConversation"/>): a leg still there at the maximum wait never left hold.</summary>
    public string? LegConversation { get; set; }

    /// <summary>The public base URL for the webhooks of the NCCO that ends the wait.</summary>
    public string? CallbackBase { get; set; }

    public string State { get; set; } = Waiting;

    public DateTimeOffset EnqueuedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }
}

/// <summary>
/// A caller's leg joining a wait list: the call it belongs to, the leg a transfer moves, the conversation the leg is in
/// now, and the call's Voice API region (null: the default host).
/// </summary>
public sealed record WaitingLeg(string CallId, string LegUuid, string LegConversation, string? RegionUrl);

/// <summary>A delayed message of the <c>hold-queue</c> queue.</summary>
/// <param name="Kind"><see cref="Timeout"/> (the caller's maximum wait is over) or <see cref="Dispatch"/> (check the agent).</param>
public sealed record HoldQueueMessage(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("legUuid")] string? LegUuid = null,
    [property: JsonPropertyName("agentNumber")] string? AgentNumber = null)
{
    public const string Timeout = "timeout";
    public const string Dispatch = "dispatch";
}

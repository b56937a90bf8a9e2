namespace CallTracking.Functions.Common;

/// <summary>Every table and queue the app uses, named in one place.</summary>
public static class StorageNames
{
    public const string CampaignsTable = "Campaigns";
    public const string CallsTable = "Calls";
    public const string CallEventsTable = "CallEvents";
    public const string CallersTable = "Callers";
    public const string DeliveriesTable = "Deliveries";
    public const string CampaignStatsTable = "CampaignStats";
    public const string CampaignCallsTable = "CampaignCalls";

    /// <summary>Agent availability and wait lists (HoldQueue/), PK = agent E.164.</summary>
    public const string AgentsTable = "Agents";

    /// <summary>One row per caller who waited (HoldQueue/), PK = caller leg uuid.</summary>
    public const string HoldCallsTable = "HoldCalls";

    /// <summary>One message (the call id) per finished conversation.</summary>
    public const string CallsCompletedQueue = "calls-completed";

    /// <summary>Where the Functions host moves a message after maxDequeueCount failures.</summary>
    public const string CallsCompletedPoisonQueue = CallsCompletedQueue + "-poison";

    /// <summary>The Functions host's poison queue for <paramref name="queue"/>.</summary>
    public static string PoisonQueue(string queue) => queue + "-poison";

    /// <summary>
    /// One delayed message (the call id) per answered call: the check that closes a call whose final events never
    /// arrived (<see cref="Calls.StaleCallWatchdog"/>).
    /// </summary>
    public const string CallsWatchdogQueue = "calls-watchdog";

    /// <summary>Delayed hold-queue checks: a caller's maximum wait, an agent to re-check (HoldQueue/).</summary>
    public const string HoldQueueQueue = "hold-queue";
    /// <summary>One message (the call id) per call with a recording to copy into Blob Storage.</summary>
    public const string RecordingsQueue = "recordings";

    /// <summary>The blob container of archived recordings (<c>campaign/yyyy/MM/call.ext</c>).</summary>
    public const string RecordingsContainer = "recordings";

    /// <summary>The daily retention purge: one self-rescheduling delayed message.</summary>
    public const string RetentionQueue = "retention";

    /// <summary>Audit of erasures (keyed hash of the number, never the number) and the retention run claim.</summary>
    public const string PrivacyAuditTable = "PrivacyAudit";
    /// <summary>Missed-call callback slots, their per-campaign copies and callers' last answered call (Callbacks/).</summary>
    public const string CallbacksTable = "Callbacks";

    /// <summary>One message per callback attempt; later attempts are delayed with the visibility timeout.</summary>
    public const string CallbacksQueue = "callbacks";

    /// <summary>The connection setting the queue trigger binds to (the Functions default).</summary>
    public const string StorageConnection = "AzureWebJobsStorage";
}

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

    /// <summary>Per campaign, the calls ringing, connected or awaiting processing now (<see cref="Calls.LiveCallIndex"/>).</summary>
    public const string LiveCallsTable = "LiveCalls";

    /// <summary>The callers list: per campaign (and <c>*</c>), one row per caller number (<see cref="Reporting.CallerList"/>).</summary>
    public const string CampaignCallersTable = "CampaignCallers";

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

    /// <summary>The connection setting the queue trigger binds to (the Functions default).</summary>
    public const string StorageConnection = "AzureWebJobsStorage";
}

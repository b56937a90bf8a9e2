namespace CallTracking.Functions.Processing;

/// <summary>How a call ended, from the caller's and the marketer's point of view.</summary>
public enum CallOutcome
{
    /// <summary>The agent answered.</summary>
    Answered,

    /// <summary>The agent's line was busy.</summary>
    Busy,

    /// <summary>The agent did not pick up (unanswered, or rang out).</summary>
    Unanswered,

    /// <summary>Ringing the agent exceeded the ring timeout.</summary>
    Timeout,

    /// <summary>The agent leg was rejected (declined, restricted, invalid number).</summary>
    Rejected,

    /// <summary>The agent leg could not be routed or the network failed.</summary>
    Failed,

    /// <summary>The caller hung up before the agent answered.</summary>
    Abandoned,

    /// <summary>No agent was dialled: out of hours, unknown number, inactive campaign.</summary>
    NotConnected,

    /// <summary>The caller waited in the hold queue and was then answered by the agent.</summary>
    AnsweredAfterHold,

    /// <summary>The caller hung up while waiting in the hold queue.</summary>
    AbandonedOnHold,

    /// <summary>The caller left a voicemail (after the hold queue's maximum wait, or an unanswered connect).</summary>
    Voicemail,
}

using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Processing;

namespace CallTracking.Functions.Callbacks;

/// <summary>
/// The call record of one attempt. Its legs are stored in the columns the rest of the app reads: the leg we create
/// (to the agent) in the "inbound" columns, the one its NCCO connects (to the caller) in the "agent" columns, so
/// "Answered" means the caller was reached and the ordinary event intake, completion and classifier need no change.
/// </summary>
public static class AttemptRecord
{
    public static bool Apply(CallRecord call, Campaign campaign, ProcessedCall missed, int attempt, string legUuid, DateTimeOffset now)
    {
        call.Direction = CallbackRules.Outbound;
        call.AttemptNumber = attempt;
        call.CallbackOf = missed.CallId;
        call.CampaignId = campaign.Id;
        call.TrackingNumber = campaign.TrackingNumber;
        call.CallerNumber = missed.CallerNumber;
        call.AgentNumber = campaign.AgentNumber;
        call.Route = CallbackRules.CallbackRoute;
        call.AnsweredAt ??= now;
        if (call.AgentLegUuid == legUuid)
        {
            // Events of our leg landed before this write and, being "outbound", were taken for the connected leg.
            call.InboundLegUuid = call.AgentLegUuid;
            call.InboundStatus = call.AgentStatus;
            call.InboundStatusAt = call.AgentStatusAt;
            call.InboundStartTime = call.AgentAnsweredAt;
            call.InboundEndTime = call.AgentEndTime;
            call.InboundDurationSeconds = call.AgentDurationSeconds;
            call.InboundPrice = call.AgentPrice;
            call.InboundRate = call.AgentRate;
            call.AgentLegUuid = null;
            call.AgentStatus = null;
            call.AgentStatusAt = null;
            call.AgentDetail = null;
            call.AgentAnsweredAt = null;
            call.AgentEndTime = null;
            call.AgentDurationSeconds = null;
            call.AgentPrice = null;
            call.AgentRate = null;
        }

        call.InboundLegUuid ??= legUuid;
        return true;
    }
}

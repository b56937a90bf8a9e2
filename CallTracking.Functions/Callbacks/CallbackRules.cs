using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Processing;

namespace CallTracking.Functions.Callbacks;

/// <summary>Which calls are called back, and when an attempt may be placed.</summary>
public static class CallbackRules
{
    public const string Outbound = "outbound";

    /// <summary>The route of an attempt's call record (not one of the answer NCCO's routes).</summary>
    public const string CallbackRoute = "callback";

    /// <summary>Longest delay a queue message can carry (7 days), less a margin.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(5);

    /// <summary>
    /// An inbound call from a known (not withheld) caller that nobody answered: the agent did not pick up, the caller
    /// gave up, or it came out of hours. Unknown numbers and inactive campaigns are nobody's missed call.
    /// </summary>
    public static bool IsMissed(ProcessedCall call) =>
        call.Direction is null && call.CallerNumber is not null && call.CampaignId is not null
        && (call.Outcome is CallOutcome.Busy or CallOutcome.Unanswered or CallOutcome.Timeout or CallOutcome.Rejected
            or CallOutcome.Failed or CallOutcome.Abandoned
            // The hold queue's: a caller who gave up waiting, or left a message, still wants to be called back.
            or CallOutcome.AbandonedOnHold or CallOutcome.Voicemail
            || (call.Outcome == CallOutcome.NotConnected && call.Route == "out-of-hours"));

    /// <summary>The campaign's callback policy, when it calls missed calls back at all.</summary>
    public static CallbackPolicy? PolicyOf(Campaign? campaign) => campaign is { IsActive: true, Callback: { } policy } ? policy : null;

    /// <summary>
    /// How long to wait before an attempt may be placed: zero when the campaign is open (or the policy does not care),
    /// else until its next opening (searched in 5-minute steps over 8 days; null when it never opens).
    /// </summary>
    public static TimeSpan? WaitForOpening(Campaign campaign, CallbackPolicy policy, DateTimeOffset now)
    {
        if (!policy.OnlyWhenOpen || campaign.BusinessHours is null)
        {
            return TimeSpan.Zero;
        }

        var schedule = new BusinessSchedule(campaign.BusinessHours);
        if (schedule.IsOpenAt(now))
        {
            return TimeSpan.Zero;
        }

        // Windows start on whole minutes, usually on the hour: step to the next 5-minute mark, then by 5 minutes.
        var probe = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.FromMinutes(5).Ticks), now.Offset).AddMinutes(5);
        for (var end = now.AddDays(8); probe < end; probe = probe.AddMinutes(5))
        {
            if (schedule.IsOpenAt(probe))
            {
                return probe - now;
            }
        }

        return null;
    }
}

using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.HoldQueue;

/// <summary>
/// The answer path's hold check: a campaign with <c>whenBusy</c> whose agent is on a call, or has callers waiting
/// (first come, first served), puts the caller on hold.
/// </summary>
public sealed class BusyAgentAnswer(HoldQueueService holdQueue) : IBusyAgentAnswer
{
    public async ValueTask<byte[]?> TryHoldAsync(CompiledCampaign campaign, AnswerRequest request, CallbackUrls urls, CancellationToken cancellationToken)
    {
        var whenBusy = campaign.Campaign.WhenBusy;
        if (whenBusy is null || string.IsNullOrEmpty(request.Uuid) || string.IsNullOrEmpty(request.ConversationUuid)
            || !await holdQueue.MustWaitAsync(campaign.Campaign.AgentNumber, cancellationToken))
        {
            return null;
        }

        var leg = new WaitingLeg(request.ConversationUuid, request.Uuid, request.ConversationUuid, RegionUrl(request.RegionUrl));
        await holdQueue.JoinAsync(campaign.Campaign.AgentNumber, campaign.Campaign, leg, urls.BaseUrl, recheck: true, cancellationToken);
        return HoldNcco.OnHold(campaign, whenBusy, withNotice: true);
    }

    // Only an https URL is kept; VonageHosts checks the host before any token is sent to it.
    private static string? RegionUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps ? value : null;
}

namespace CallTracking.Functions.CallFlow;

/// <summary>
/// The answer path's one hook for a campaign with <c>whenBusy</c> (implemented in HoldQueue/): when the agent is on
/// another call, the caller joins the agent's wait list and gets the hold NCCO; null when the agent is free.
/// </summary>
public interface IBusyAgentAnswer
{
    ValueTask<byte[]?> TryHoldAsync(CompiledCampaign campaign, AnswerRequest request, CallbackUrls urls, CancellationToken cancellationToken);
}

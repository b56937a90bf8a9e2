using CallTracking.Functions.Calls;
using CallTracking.Functions.Processing;

namespace CallTracking.Functions.Reporting;

/// <summary>A processed call leaves the live index: it is neither in progress nor pending any more. Idempotent.</summary>
public sealed class LiveCallsStage(LiveCallIndex liveCalls) : ICallProcessingStage
{
    public Task RunAsync(CallProcessingContext context, CancellationToken cancellationToken) =>
        context.Call.CampaignId is { } campaignId
            ? liveCalls.RemoveAsync(campaignId, context.Call.CallId, cancellationToken)
            : Task.CompletedTask;
}

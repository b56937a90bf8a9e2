using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using Microsoft.Extensions.Logging;

namespace CallTracking.Functions.HoldQueue;

/// <summary>
/// <c>whenUnanswered</c>: in opening hours without a hold queue, a synchronous connect that failed (busy, timeout,
/// unanswered, rejected) is answered with the hold queue's voicemail or closing message, and the call's hold result
/// says so (outcome <c>voicemail</c>, like a wait that ended in voicemail).
/// </summary>
public sealed class UnansweredConnect(CallStore calls, ILogger<UnansweredConnect> logger)
{
    public async Task<byte[]> AnswerAsync(CallRecord call, WhenUnanswered whenUnanswered, string callbackBase, CancellationToken cancellationToken)
    {
        var result = whenUnanswered.Then == WhenBusyThen.Voicemail ? HoldCall.Voicemail : HoldCall.Message;
        // Idempotent: a retried event sets the same result and gets the same NCCO.
        await calls.UpdateAsync(call.PartitionKey, record =>
        {
            if (record.HoldResult == result)
            {
                return false;
            }

            record.HoldResult = result;
            return true;
        }, cancellationToken);
        logger.LogInformation("Call {CallId}: the agent did not answer; sent to {Result}", call.PartitionKey, result);
        return HoldNcco.Closing(whenUnanswered.Then, whenUnanswered.ThenMessage, callbackBase, call.PartitionKey);
    }
}

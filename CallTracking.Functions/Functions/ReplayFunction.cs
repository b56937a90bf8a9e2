using CallTracking.Functions.Common;
using CallTracking.Functions.Forwarding;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>
/// <c>POST /api/ops/replay[?queue=calls-completed|calls-watchdog|recordings|callbacks][&amp;call=id]</c>: poison messages back onto
/// their queue. With <c>failed=true&amp;call=id[&amp;sink=name]</c>: re-sends that call's permanently failed deliveries.
/// Admin level (master key): it re-sends calls to the sinks. Not under <c>admin/</c>: the Functions host
/// reserves every route whose first segment is <c>admin</c>.
/// </summary>
public sealed class ReplayFunction(PoisonReplayer replayer, FailedDeliveryReplayer failedReplayer)
{
    [Function("ReplayPoisonedCalls")]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "ops/replay")] HttpRequestData req,
        CancellationToken cancellationToken)
    {
        var queue = req.Query["queue"] ?? StorageNames.CallsCompletedQueue;
        if (!PoisonReplayer.ReplayableQueues.Contains(queue, StringComparer.Ordinal))
        {
            throw new ValidationException("queue", $"Must be one of: {string.Join(", ", PoisonReplayer.ReplayableQueues)}.");
        }

        var callId = req.Query["call"];
        if (callId is not null && !DeliveryReport.IsValidCallId(callId))
        {
            throw new ValidationException("call", "Must be a call id (1–100 letters, digits, '-' or '_').");
        }

        if (ReplayQuery.Failed(req.Query["failed"]))
        {
            var request = ReplayQuery.ForFailed(callId, req.Query["sink"], req.Query["queue"]);
            return await req.JsonAsync(await failedReplayer.ReplayAsync(request.CallId, request.Sink, cancellationToken));
        }

        return await req.JsonAsync(await replayer.ReplayAsync(queue, callId, cancellationToken));
    }
}

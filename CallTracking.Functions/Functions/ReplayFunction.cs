using CallTracking.Functions.Common;
using CallTracking.Functions.Forwarding;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary><c>POST /api/admin/replay[?call=id]</c>: poison messages back onto <c>calls-completed</c>.</summary>
public sealed class ReplayFunction(PoisonReplayer replayer)
{
    [Function("ReplayPoisonedCalls")]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/replay")] HttpRequestData req,
        CancellationToken cancellationToken)
    {
        var callId = req.Query["call"];
        if (callId is not null && !DeliveryReport.IsValidCallId(callId))
        {
            return await req.ProblemAsync(Problem.BadRequest("call", "Must be a call id (1–100 letters, digits, '-' or '_')."));
        }

        var result = await replayer.ReplayAsync(callId, cancellationToken);
        return await req.JsonAsync(result);
    }
}

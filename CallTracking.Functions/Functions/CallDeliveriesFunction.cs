using CallTracking.Functions.Common;
using CallTracking.Functions.Forwarding;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary><c>GET /api/calls/{id}/deliveries</c>: where one call stands with each sink.</summary>
public sealed class CallDeliveriesFunction(DeliveryReport report)
{
    [Function("CallDeliveries")]
    public async Task<HttpResponseData> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "calls/{id}/deliveries")] HttpRequestData req,
        string id,
        CancellationToken cancellationToken)
    {
        if (!DeliveryReport.IsValidCallId(id))
        {
            throw new ValidationException("id", "Must be a call id (1–100 letters, digits, '-' or '_').");
        }

        return await req.JsonAsync(await report.GetAsync(id, cancellationToken) ?? throw new NotFoundException($"No call '{id}'."));
    }
}

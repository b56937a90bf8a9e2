using System.Net;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Vonage;

public static class WebhookProblems
{
    /// <summary>Our storage failed: 503 is one of the statuses Vonage retries on (with 429 and 504).</summary>
    public static readonly Problem RetryLater = new("https://calltracking.dev/problems/unavailable", "Service unavailable.",
        (int)HttpStatusCode.ServiceUnavailable, "The event could not be recorded; retry.");
}

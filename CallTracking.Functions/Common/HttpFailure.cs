using Polly.Timeout;

namespace CallTracking.Functions.Common;

/// <summary>What a failed HTTP call tells about whether the request reached the service.</summary>
public static class HttpFailure
{
    /// <summary>
    /// Failures after which the request may have reached the service: a timeout (it may be processing it) or a
    /// connection lost after connecting. Not: refused connections, DNS and TLS failures, an open circuit.
    /// </summary>
    public static bool MayHaveBeenSent(Exception? ex) => ex switch
    {
        TimeoutRejectedException or TimeoutException => true,
        TaskCanceledException { InnerException: TimeoutException } => true,
        HttpRequestException http => !NeverConnected(http.HttpRequestError),
        _ => false,
    };

    private static bool NeverConnected(HttpRequestError error) => error is HttpRequestError.ConnectionError
        or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError;
}

using System.Net;
using System.Text;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Forwarding;

/// <summary>Sends a sink's request and sorts the answer into delivered, permanent or transient.</summary>
public static class SinkHttp
{
    private const int MaxErrorLength = 300;

    /// <summary>Refusals that a retry cannot fix; anything else (429, 5xx, 408, network, timeouts) is retried later.</summary>
    public static bool IsPermanent(HttpStatusCode status) => status is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized
        or HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.UnprocessableEntity
        or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.MethodNotAllowed;

    /// <param name="inspectSuccess">For 2xx: reads the body (some APIs report errors with 200); null means delivered.</param>
    /// <param name="secrets">Values that must not appear in a recorded error (tokens), replaced by "***".</param>
    /// <param name="deduplicated">
    /// False for a sink that does not deduplicate a repeated request: a send that may have reached it is recorded as
    /// failed (outcome unknown) instead of being retried later; the operator re-sends it with the failed-delivery replay.
    /// </param>
    public static async Task<SinkResult> SendAsync(HttpClient http, HttpRequestMessage request,
        Func<int, string, SinkResult?>? inspectSuccess, IReadOnlyList<string?> secrets, CancellationToken cancellationToken,
        bool deduplicated = true)
    {
        var attempts = new RequestCountingHandler.StrongBox();
        request.Options.Set(RequestCountingHandler.Counter, attempts);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var verdict = inspectSuccess?.Invoke(status, body);
                var outcome = verdict is null ? SinkResult.Delivered(status) : verdict with { Error = Redact(verdict.Error, secrets) };
                return outcome with { HttpRequests = attempts.Value };
            }

            var error = Redact($"HTTP {status}: {body}", secrets);
            var result = IsPermanent(response.StatusCode) ? SinkResult.Permanent(error, status) : SinkResult.Transient(error, status);
            return result with { HttpRequests = attempts.Value };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (!deduplicated && HttpFailure.MayHaveBeenSent(ex))
            {
                var unknown = $"outcome unknown ({ex.GetType().Name}: {ex.Message}); not re-sent, as this sink does not deduplicate: "
                    + "check it, then re-send with POST /api/ops/replay?call=<id>&sink=<name>&failed=true";
                return SinkResult.Permanent(Redact(unknown, secrets), null) with { HttpRequests = attempts.Value };
            }

            // Network errors, per-attempt and total timeouts, an open circuit: all worth a later retry.
            return SinkResult.Transient(Redact($"{ex.GetType().Name}: {ex.Message}", secrets), null) with { HttpRequests = attempts.Value };
        }
    }

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    public static string? Redact(string? text, IReadOnlyList<string?> secrets)
    {
        if (text is null)
        {
            return null;
        }

        var builder = new StringBuilder(text.ReplaceLineEndings(" "));
        foreach (var secret in secrets)
        {
            if (!string.IsNullOrEmpty(secret))
            {
                builder.Replace(secret, "***");
            }
        }

        var clean = builder.ToString().Trim();
        return clean.Length <= MaxErrorLength ? clean : clean[..MaxErrorLength] + "…";
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// Typed client for Mixpanel's ingestion API (<c>/track</c>, <c>/engage</c>): a JSON array body, with
/// <c>verbose=1</c> so the body says whether it worked (<c>{"status":0,"error":…}</c> arrives with HTTP 200).
/// </summary>
public sealed class MixpanelClient(HttpClient http, IOptions<MixpanelOptions> options)
{
    public const string TrackPath = "track";
    public const string EngagePath = "engage";

    public string Token => options.Value.Token ?? "";

    public Task<SinkResult> PostAsync(string path, JsonArray records, CancellationToken cancellationToken)
    {
        // ip=0: the request comes from our server, not the caller, so no geolocation from it.
        var request = new HttpRequestMessage(HttpMethod.Post, path + "?verbose=1&ip=0")
        {
            Content = new StringContent(records.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        return SendAsync(request, cancellationToken);
    }

    private async Task<SinkResult> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            return await SinkHttp.SendAsync(http, request, ReadVerboseBody, [options.Value.Token], cancellationToken);
        }
    }

    /// <summary>Mixpanel answers 200 for errors too; the body decides. Null = delivered.</summary>
    internal static SinkResult? ReadVerboseBody(int httpStatus, string body)
    {
        var text = body.Trim();
        if (text == "1")
        {
            return null;
        }

        if (text == "0")
        {
            return SinkResult.Permanent("Mixpanel rejected the data (status 0)", httpStatus);
        }

        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("status", out var status))
            {
                var ok = status.ValueKind == JsonValueKind.Number ? status.GetInt32() == 1 : status.ToString() == "1";
                if (ok)
                {
                    return null;
                }

                var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                var message = "Mixpanel status 0: " + (error ?? "(no error text)");
                return LooksTransient(error) ? SinkResult.Transient(message, httpStatus) : SinkResult.Permanent(message, httpStatus);
            }
        }
        catch (JsonException)
        {
        }

        // Not Mixpanel's answer (a proxy page?): try again later rather than record it as delivered.
        return SinkResult.Transient("Unexpected Mixpanel response: " + text, httpStatus);
    }

    private static bool LooksTransient(string? error) =>
        error is not null && (error.Contains("timeout", StringComparison.OrdinalIgnoreCase)
            || error.Contains("try again", StringComparison.OrdinalIgnoreCase)
            || error.Contains("temporar", StringComparison.OrdinalIgnoreCase)
            || error.Contains("unavailable", StringComparison.OrdinalIgnoreCase)
            || error.Contains("rate limit", StringComparison.OrdinalIgnoreCase));
}

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CallTracking.Functions.Vonage;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Enrichment;

/// <summary>
/// Vonage Identity Insights (<c>POST /identity-insights/v1/requests</c>), Number Insight's successor: the
/// format, original_carrier and current_carrier insights, which need no operator approval. Auth is an
/// application JWT (RS256). Each insight carries its own status; only OK insights are used.
/// </summary>
public sealed class IdentityInsightsLookup(
    IHttpClientFactory httpClients,
    IOptions<VonageOptions> vonage,
    IOptions<EnrichmentOptions> enrichment,
    ApplicationTokenSigner tokens) : ICallerLookup
{
    public const string ClientName = "Vonage.IdentityInsights";

    public EnrichmentProvider Provider => EnrichmentProvider.IdentityInsights;

    public async Task<CallerDetails> LookupAsync(string callerE164, CancellationToken ct)
    {
        var url = $"{vonage.Value.IdentityInsightsBaseUrl.TrimEnd('/')}/identity-insights/v1/requests";
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(RequestBody(callerE164), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.CreateToken());
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        using var response = await httpClients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        var root = Parse(bytes);
        if (!response.IsSuccessStatusCode)
        {
            // application/problem+json: { type, title, detail, instance }
            var title = root.String("title");
            var detail = root.String("detail");
            throw new CallerLookupException($"HTTP {(int)response.StatusCode}{(title is null ? "" : ": " + title)}{(detail is null ? "" : " (" + detail + ")")}");
        }

        var insights = root.Object("insights");
        var format = Ok(insights, "format", out var formatStatus);
        var original = Ok(insights, "original_carrier", out var originalStatus);
        var current = Ok(insights, "current_carrier", out _);
        if (format is null && original is null && current is null)
        {
            throw new CallerLookupException($"no insight succeeded (format: {formatStatus}, original_carrier: {originalStatus})");
        }

        var lineType = LineTypeOf(current.String("network_type"));
        if (lineType == LineTypes.Unknown)
        {
            lineType = LineTypeOf(original.String("network_type"));
        }

        return new CallerDetails(
            format.String("country_code") ?? current.String("country_code") ?? original.String("country_code"),
            format.String("offline_location"),
            current.String("name") ?? original.String("name"),
            lineType,
            enrichment.Value.IdentityInsightsLookupCost);
    }

    internal static string RequestBody(string callerE164) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["phone_number"] = callerE164,
            ["insights"] = new Dictionary<string, object>
            {
                ["format"] = new { },
                ["original_carrier"] = new { },
                ["current_carrier"] = new { },
            },
        });

    /// <summary>The insight when its status code is OK (compared case-insensitively: sources disagree on casing).</summary>
    private static JsonElement? Ok(JsonElement? insights, string name, out string status)
    {
        var insight = insights.Object(name);
        status = insight.Object("status").String("code") ?? (insight is null ? "missing" : "no status");
        return string.Equals(status, "OK", StringComparison.OrdinalIgnoreCase) ? insight : null;
    }

    private static JsonElement? Parse(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static string LineTypeOf(string? networkType) => networkType?.ToUpperInvariant() switch
    {
        "MOBILE" => LineTypes.Mobile,
        "LANDLINE" => LineTypes.Landline,
        "TOLLFREE" or "TOLL_FREE" => LineTypes.TollFree,
        "PREMIUM" => LineTypes.Premium,
        "VIRTUAL" => LineTypes.Voip,
        _ => LineTypes.Unknown, // the enum is extensible
    };
}

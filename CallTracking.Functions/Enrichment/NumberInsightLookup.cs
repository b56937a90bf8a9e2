using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CallTracking.Functions.Common;
using CallTracking.Functions.Vonage;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Enrichment;

/// <summary>
/// Vonage Number Insight Advanced, synchronous (<c>GET /ni/advanced/json</c>). Credentials go in a Basic
/// Authorization header rather than the query, so they never appear in a logged URL.
/// </summary>
public sealed class NumberInsightLookup(IHttpClientFactory httpClients, IOptions<VonageOptions> options, OfflineLookup offline) : ICallerLookup
{
    public const string ClientName = "Vonage.NumberInsight";

    public EnrichmentProvider Provider => EnrichmentProvider.NumberInsightAdvanced;

    public async Task<CallerDetails> LookupAsync(string callerE164, CancellationToken ct)
    {
        var settings = options.Value;
        var url = $"{settings.ApiBaseUrl.TrimEnd('/')}/ni/advanced/json?number={Uri.EscapeDataString(E164.ToVonage(callerE164))}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.ApiKey}:{settings.ApiSecret}")));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        using var response = await httpClients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new CallerLookupException($"HTTP {(int)response.StatusCode}");
        }

        JsonElement? body;
        try
        {
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct));
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new CallerLookupException("unreadable response body");
        }

        switch (body.Int("status"))
        {
            case 0:
            // 43–45: the live mobile lookup failed, the rest (carrier, country) is still there and charged.
            case 43 or 44 or 45:
                break;
            case 1:
                throw new CallerLookupException("throttled (status 1)");
            case { } status:
                throw new CallerLookupException($"status {status}: {body.String("status_message") ?? body.String("error_text") ?? "no message"}");
            case null:
                throw new CallerLookupException("response has no status");
        }

        var current = body.Object("current_carrier");
        var original = body.Object("original_carrier");
        var lineType = LineTypeOf(current.String("network_type"));
        if (lineType == LineTypes.Unknown)
        {
            lineType = LineTypeOf(original.String("network_type"));
        }

        // NI has no area field: the assigned area comes from the numbering plan, as offline.
        var area = offline.Describe(callerE164);
        return new CallerDetails(
            body.String("country_code") ?? current.String("country") ?? original.String("country") ?? area.Country,
            area.Region,
            current.String("name") ?? original.String("name"),
            lineType,
            body.Decimal("request_price") ?? 0m);
    }

    internal static string LineTypeOf(string? networkType) => networkType?.ToLowerInvariant() switch
    {
        "mobile" => LineTypes.Mobile,
        "landline" => LineTypes.Landline,
        "landline_tollfree" => LineTypes.TollFree,
        "landline_premium" => LineTypes.Premium,
        "virtual" => LineTypes.Voip,
        _ => LineTypes.Unknown, // pager, unknown, null
    };
}

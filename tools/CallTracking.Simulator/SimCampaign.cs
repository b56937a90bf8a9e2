using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace CallTracking.Simulator;

/// <summary>
/// The part of a CallTracking campaign the simulator needs (our campaign JSON shape, camelCase; extra fields ignored).
/// </summary>
public sealed record SimCampaign
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>E.164, with or without '+'.</summary>
    [JsonPropertyName("trackingNumber")]
    public required string TrackingNumber { get; init; }

    [JsonPropertyName("agentNumber")]
    public required string AgentNumber { get; init; }

    [JsonPropertyName("isActive")]
    public bool IsActive { get; init; } = true;

    [JsonPropertyName("recordCalls")]
    public bool RecordCalls { get; init; }

    [JsonPropertyName("whisperText")]
    public string? WhisperText { get; init; }

    [JsonPropertyName("ringTimeoutSeconds")]
    public int RingTimeoutSeconds { get; init; } = 30;

    /// <summary>The campaign's hold queue settings; campaigns with them are played by <see cref="HoldPlayer"/>.</summary>
    [JsonPropertyName("whenBusy")]
    public JsonObject? WhenBusy { get; init; }

    /// <summary>The campaign's missed-call callback policy (the app places the attempts; <see cref="SimCallbackVoiceApi"/> plays them).</summary>
    [JsonPropertyName("callback")]
    public SimCallbackPolicy? Callback { get; init; }

    /// <summary>The tracking number as Vonage writes it: digits without '+'.</summary>
    [JsonIgnore]
    public string TrackingDigits => VonageNumbers.Digits(TrackingNumber);

    [JsonIgnore]
    public string AgentDigits => VonageNumbers.Digits(AgentNumber);
}

/// <summary>A campaign's <c>callback</c> setting, as our campaign JSON writes it.</summary>
public sealed record SimCallbackPolicy
{
    [JsonPropertyName("attempts")]
    public int Attempts { get; init; } = 1;

    [JsonPropertyName("intervalMinutes")]
    public int IntervalMinutes { get; init; } = 15;

    [JsonPropertyName("onlyWhenOpen")]
    public bool OnlyWhenOpen { get; init; } = true;
}

public static class VonageNumbers
{
    public static string Digits(string e164) => e164.StartsWith('+') ? e164[1..] : e164;
}

/// <summary>Reads campaigns from our JSON (a bare array, or an object holding one, as import files and list responses do).</summary>
public static class CampaignSource
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static IReadOnlyList<SimCampaign> Parse(string json)
    {
        var root = JsonNode.Parse(json) ?? throw new FormatException("Campaign JSON is empty.");
        var array = root as JsonArray
            ?? (root as JsonObject)?.Select(p => p.Value).OfType<JsonArray>().FirstOrDefault()
            ?? throw new FormatException("Campaign JSON must be an array of campaigns or an object holding one.");
        var campaigns = array.Deserialize<List<SimCampaign>>(Options) ?? [];
        if (campaigns.Count == 0)
        {
            throw new FormatException("No campaigns found.");
        }

        return campaigns;
    }

    /// <summary>The header Azure Functions (and the local host with --require-keys) read a function key from.</summary>
    public const string FunctionKeyHeader = "x-functions-key";

    /// <param name="functionKey">Sent as <see cref="FunctionKeyHeader"/> with the listing (a function-level endpoint); never printed.</param>
    /// <exception cref="InvalidOperationException">The listing failed; the message says what to do (it never holds the key).</exception>
    public static async Task<IReadOnlyList<SimCampaign>> LoadAsync(string fileOrFetch, HttpClient http, string? functionKey,
        CancellationToken cancellationToken)
    {
        if (string.Equals(fileOrFetch, "fetch", StringComparison.OrdinalIgnoreCase))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("api/campaigns", UriKind.Relative));
            if (functionKey is not null)
            {
                request.Headers.Add(FunctionKeyHeader, functionKey);
            }

            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                throw new InvalidOperationException($"GET /api/campaigns answered {(int)response.StatusCode} {response.StatusCode}: "
                    + (functionKey is null
                        ? "the app requires a function key; pass --function-key or set " + SimulatorArguments.FunctionKeyVariable + "."
                        : "the function key was not accepted; pass --function-key or set " + SimulatorArguments.FunctionKeyVariable
                          + " to a key of this app (Azure: az functionapp keys list).")
                    + " Or read campaigns from a file with --campaigns <file>.");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"GET /api/campaigns returned {(int)response.StatusCode}: {body}");
            }

            return Parse(body);
        }

        return Parse(await File.ReadAllTextAsync(fileOrFetch, cancellationToken));
    }
}

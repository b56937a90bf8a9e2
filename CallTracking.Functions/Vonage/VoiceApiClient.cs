using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CallTracking.Functions.Vonage;

/// <summary>
/// The Voice REST API calls we make, authenticated with the application JWT (<see cref="ApplicationTokenSigner"/>):
/// transfer a leg to a new NCCO, place an outbound call, download a recording. Hosts are checked by
/// <see cref="VonageHosts"/> before a token is attached. Failures throw <see cref="VoiceApiException"/>.
/// </summary>
public sealed class VoiceApiClient(HttpClient http, ApplicationTokenSigner tokens, VonageHosts hosts)
{
    /// <summary><c>PUT /v1/calls/{uuid}</c> with <c>{"action":"transfer","destination":{"type":"ncco","ncco":[…]}}</c>.</summary>
    public async Task TransferAsync(string legUuid, JsonArray ncco, string? regionUrl, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(legUuid);
        var body = new JsonObject
        {
            ["action"] = "transfer",
            ["destination"] = new JsonObject { ["type"] = "ncco", ["ncco"] = ncco.DeepClone() },
        };
        var url = new Uri(hosts.VoiceApiBase(regionUrl), "/v1/calls/" + Uri.EscapeDataString(legUuid));
        using var response = await SendAsync(HttpMethod.Put, url, body, cancellationToken);
    }

    /// <summary>
    /// <c>GET /v1/calls/{uuid}</c>: the leg's status and the conversation it is in now (a transfer moves it to a new
    /// one); null when Vonage does not know the leg (404).
    /// </summary>
    public async Task<CallLeg?> GetCallAsync(string legUuid, string? regionUrl, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(legUuid);
        var url = new Uri(hosts.VoiceApiBase(regionUrl), "/v1/calls/" + Uri.EscapeDataString(legUuid));
        try
        {
            using var response = await SendAsync(HttpMethod.Get, url, body: null, cancellationToken);
            var leg = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
            return new CallLeg(Text(leg?["status"]), Text(leg?["conversation_uuid"]));
        }
        catch (VoiceApiException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return null;
        }

        static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
    }

    /// <summary>
    /// <c>POST /v1/calls</c>: places an outbound call; <paramref name="call"/> is Vonage's body (<c>to</c>, <c>from</c>,
    /// <c>ncco</c> or <c>answer_url</c>, <c>event_url</c>, ...). Returns the new leg's <c>uuid</c> and <c>conversation_uuid</c>.
    /// </summary>
    public async Task<CreatedCall> CreateCallAsync(JsonObject call, CancellationToken cancellationToken)
    {
        var url = new Uri(hosts.VoiceApiBase(), "/v1/calls");
        using var response = await SendAsync(HttpMethod.Post, url, call, cancellationToken);
        var created = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        var uuid = created?["uuid"]?.GetValue<string>();
        return string.IsNullOrEmpty(uuid)
            ? throw new VoiceApiException(HttpStatusCode.BadGateway, "POST /v1/calls answered without a uuid")
            : new CreatedCall(uuid, created?["conversation_uuid"]?.GetValue<string>());
    }

    /// <summary>
    /// Starts downloading a recording; the caller streams <see cref="HttpResponseMessage.Content"/> and disposes the
    /// response. Only headers are read here, so a large recording is never buffered in memory.
    /// </summary>
    public Task<HttpResponseMessage> GetRecordingAsync(Uri recordingUrl, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, recordingUrl, body: null, cancellationToken);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, JsonObject? body, CancellationToken cancellationToken)
    {
        if (!hosts.IsAllowed(url))
        {
            // Never attach the application's token to a host that is not Vonage's (or the configured seam).
            throw new VoiceApiException(HttpStatusCode.Forbidden, $"{url.Host} is not a Vonage API host", permanent: true);
        }

        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.CreateToken());
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var detail = await ReadErrorAsync(response, cancellationToken);
            throw new VoiceApiException(response.StatusCode, $"{method} {url.AbsolutePath} answered {(int)response.StatusCode}{detail}");
        }
    }

    /// <summary>Vonage's problem body has a <c>title</c>; the rest (and any echo of numbers) stays out of the message.</summary>
    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String
                ? ": " + title.GetString()
                : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }
}

public sealed record CreatedCall(string Uuid, string? ConversationUuid);

/// <summary>A leg as <c>GET /v1/calls/{uuid}</c> reports it (either may be missing from the answer).</summary>
public sealed record CallLeg(string? Status, string? ConversationUuid);

/// <summary>A Voice API request that failed; <see cref="IsPermanent"/> for a 4xx other than 408/429 (retrying will not help).</summary>
public sealed class VoiceApiException(HttpStatusCode status, string message, bool? permanent = null) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    public bool IsPermanent { get; } = permanent
        ?? ((int)status is >= 400 and < 500 && status is not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests);
}

using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.CallFlow;

/// <summary>The absolute webhook URLs put into NCCOs for one public base URL, encoded once.</summary>
public sealed class CallbackUrls
{
    public CallbackUrls(string baseUrl)
    {
        BaseUrl = baseUrl.TrimEnd('/');
        Recording = JsonEncodedText.Encode(BaseUrl + "/api/recording", JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        Event = JsonEncodedText.Encode(BaseUrl + "/api/event", JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        WhisperPrefix = BaseUrl + "/api/whisper?campaign=";
    }

    public string BaseUrl { get; }

    public JsonEncodedText Recording { get; }

    public JsonEncodedText Event { get; }

    /// <summary>Followed by the (URL-safe) campaign id.</summary>
    public string WhisperPrefix { get; }
}

/// <summary>
/// Callback URLs come from <c>CallTracking__PublicBaseUrl</c> when set (behind a proxy or custom domain),
/// else from the scheme and host of the webhook request Vonage made.
/// </summary>
public sealed class CallbackUrlResolver
{
    private const int MaxRememberedHosts = 16;

    private readonly CallbackUrls? _configured;
    private readonly ConcurrentDictionary<string, CallbackUrls> _byRequestBase = new(StringComparer.OrdinalIgnoreCase);

    public CallbackUrlResolver(IOptions<CallTrackingOptions> options)
    {
        var configured = options.Value.PublicBaseUrl;
        _configured = string.IsNullOrWhiteSpace(configured) ? null : new CallbackUrls(configured.Trim());
    }

    public CallbackUrls Resolve(Uri requestUrl)
    {
        if (_configured is not null)
        {
            return _configured;
        }

        var baseUrl = requestUrl.GetLeftPart(UriPartial.Authority);
        if (_byRequestBase.TryGetValue(baseUrl, out var urls))
        {
            return urls;
        }

        urls = new CallbackUrls(baseUrl);
        // Host headers are caller-controlled: remember only a few.
        if (_byRequestBase.Count < MaxRememberedHosts)
        {
            _byRequestBase.TryAdd(baseUrl, urls);
        }

        return urls;
    }
}

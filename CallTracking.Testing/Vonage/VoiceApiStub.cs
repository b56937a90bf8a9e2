using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CallTracking.Tests.Infrastructure;

namespace CallTracking.Tests.Vonage;

/// <summary>
/// A stand-in for Vonage's Voice REST API (an <see cref="HttpStubServer"/>) with its own application key pair:
/// <see cref="Settings"/> points the app at it (<c>Vonage:VoiceApiBaseUrl</c>, application id, private key), and
/// <see cref="AssertSignedByApplication"/> checks a request's bearer JWT the way Vonage would (RS256 with the
/// application's public key, <c>application_id</c>, <c>iat</c>/<c>exp</c>, <c>jti</c>).
/// </summary>
public sealed class VoiceApiStub : IAsyncDisposable
{
    private readonly RSA _key = RSA.Create(2048);

    private VoiceApiStub(HttpStubServer server)
    {
        Server = server;
        Server.Responder = AnswerCallInfo;
    }

    /// <summary>
    /// The conversation a leg is in before any transfer, for <c>GET /v1/calls/{uuid}</c>; null: Vonage does not know
    /// the leg (404). Tests name legs after their calls (<see cref="Calls.CallEvents"/>: <c>in-{conversation}</c>).
    /// </summary>
    public Func<string, string?> ConversationOfLeg { get; set; } =
        leg => leg.StartsWith("in-", StringComparison.Ordinal) ? leg["in-".Length..] : null;

    public string ApplicationId { get; } = Guid.NewGuid().ToString();

    public HttpStubServer Server { get; }

    public string BaseUrl => Server.BaseUrl;

    /// <summary>PEM (PKCS#8) with real line breaks; app settings may also carry them as <c>\n</c>.</summary>
    public string PrivateKeyPem => _key.ExportPkcs8PrivateKeyPem();

    public static async Task<VoiceApiStub> StartAsync() => new(await HttpStubServer.StartAsync());

    /// <summary>Configuration keys (<c>:</c> form) for <c>TestServices</c>; use <see cref="EnvironmentSettings"/> for a worker process.</summary>
    public IReadOnlyDictionary<string, string?> Settings() => new Dictionary<string, string?>
    {
        ["Vonage:VoiceApiBaseUrl"] = BaseUrl,
        ["Vonage:ApplicationId"] = ApplicationId,
        ["Vonage:PrivateKey"] = PrivateKeyPem,
    };

    /// <summary>The same settings as environment variables (<c>__</c> form, line breaks escaped as app settings do).</summary>
    public IReadOnlyDictionary<string, string> EnvironmentSettings() => new Dictionary<string, string>
    {
        ["Vonage__VoiceApiBaseUrl"] = BaseUrl,
        ["Vonage__ApplicationId"] = ApplicationId,
        ["Vonage__PrivateKey"] = PrivateKeyPem.Replace("\n", "\\n", StringComparison.Ordinal),
    };

    /// <summary>Throws unless the request carries a valid application JWT signed with this stub's key.</summary>
    public void AssertSignedByApplication(RecordedRequest request)
    {
        var authorization = request.Header("Authorization") ?? throw new InvalidOperationException("No Authorization header.");
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("Authorization is not a bearer token.");
        }

        var parts = authorization["Bearer ".Length..].Split('.');
        if (parts.Length != 3)
        {
            throw new InvalidOperationException("The bearer token is not a JWT.");
        }

        using var header = JsonDocument.Parse(Base64UrlDecode(parts[0]));
        if (header.RootElement.GetProperty("alg").GetString() != "RS256")
        {
            throw new InvalidOperationException("The JWT is not RS256.");
        }

        var signed = _key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64UrlDecode(parts[2]),
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (!signed)
        {
            throw new InvalidOperationException("The JWT's signature does not verify with the application's public key.");
        }

        using var claims = JsonDocument.Parse(Base64UrlDecode(parts[1]));
        var root = claims.RootElement;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (root.GetProperty("application_id").GetString() != ApplicationId
            || string.IsNullOrEmpty(root.GetProperty("jti").GetString())
            || root.GetProperty("iat").GetInt64() > now + 60
            || root.GetProperty("exp").GetInt64() < now - 60)
        {
            throw new InvalidOperationException("The JWT's claims are not this application's or not current.");
        }
    }

    /// <summary>
    /// <c>GET /v1/calls/{uuid}</c> as Vonage answers it: the leg is answered, in its first conversation until a
    /// transfer was carried out (a PUT answered 2xx, even if its answer was then lost), then in a new one per transfer.
    /// </summary>
    private StubResponse? AnswerCallInfo(RecordedRequest request)
    {
        const string calls = "/v1/calls/";
        if (request.Method != "GET" || !request.Path.StartsWith(calls, StringComparison.Ordinal))
        {
            return null;
        }

        var leg = request.Path[calls.Length..];
        var transfers = Server.Requests.Count(r => r.Method == "PUT" && r.Path == request.Path && r.Response?.Status is >= 200 and < 300);
        var conversation = transfers == 0 ? ConversationOfLeg(leg) : $"CON-TRANSFERRED-{transfers}-{leg}";
        return conversation is null
            ? new StubResponse(404, """{"title":"Not Found"}""")
            : StubResponse.Json(200, JsonSerializer.Serialize(new { uuid = leg, status = "answered", direction = "inbound", conversation_uuid = conversation }));
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _key.Dispose();
    }

    private static byte[] Base64UrlDecode(string value) => System.Buffers.Text.Base64Url.DecodeFromChars(value);
}

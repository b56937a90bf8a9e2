using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CallTracking.Functions.Vonage;

/// <summary>The outcome of checking one signed webhook; <see cref="Reason"/> is safe to log (no token, no secret).</summary>
public sealed record SignatureVerification(bool IsValid, string Reason, string? Jti = null)
{
    public static SignatureVerification Fail(string reason) => new(false, reason);
}

/// <summary>
/// Verifies Vonage's signed webhooks: <c>Authorization: Bearer &lt;JWT&gt;</c>, HS256 with the account signature secret.
/// Checks, in order: the HS256 signature (any other <c>alg</c>, including <c>none</c>, is rejected), <c>iss</c> = Vonage,
/// <c>api_key</c> (when <see cref="VonageOptions.ApiKey"/> is set), <c>iat</c> age and clock skew, <c>exp</c> if present,
/// <c>payload_hash</c> on requests with a body, and finally the <c>jti</c> replay guard (last, so a bad token
/// never occupies the guard).
/// <para>
/// GET requests (the answer webhook's default method) are checked on everything except <c>payload_hash</c>:
/// Vonage hashes a JSON object rebuilt from the query parameters "in their original order", whose exact
/// serialisation (value types, escaping, repeated keys) is not documented precisely enough to reproduce byte
/// for byte. The signature, age window and one-time <c>jti</c> still bind a GET to Vonage; TLS protects the query.
/// </para>
/// <para>
/// The HMAC is computed here rather than by <c>JsonWebTokenHandler</c>: the handler refuses HMAC keys shorter than
/// 256 bits, and a signature secret is whatever the account holder configured.
/// </para>
/// </summary>
public sealed class VonageSignatureVerifier(IOptions<VonageOptions> options, TimeProvider time, JtiReplayGuard replayGuard)
{
    public const string ExpectedIssuer = "Vonage";
    private const string BearerPrefix = "Bearer ";

    private readonly VonageOptions _options = options.Value;
    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.Value.SignatureSecret ?? "");

    public SignatureVerification Verify(string? authorization, string method, ReadOnlySpan<byte> body)
    {
        if (_secret.Length == 0)
        {
            return SignatureVerification.Fail("no signature secret configured");
        }

        if (string.IsNullOrWhiteSpace(authorization))
        {
            return SignatureVerification.Fail("missing Authorization header");
        }

        if (!authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return SignatureVerification.Fail("Authorization is not a Bearer token");
        }

        JsonWebToken token;
        try
        {
            token = new JsonWebToken(authorization[BearerPrefix.Length..].Trim());
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or System.Text.Json.JsonException
                                       or Microsoft.IdentityModel.Tokens.SecurityTokenException)
        {
            return SignatureVerification.Fail("malformed token");
        }

        if (token.IsEncrypted || !string.Equals(token.Alg, "HS256", StringComparison.Ordinal))
        {
            return SignatureVerification.Fail($"unsupported alg '{Truncate(token.Alg)}'");
        }

        if (!SignatureMatches(token))
        {
            return SignatureVerification.Fail("signature mismatch");
        }

        if (!string.Equals(token.Issuer, ExpectedIssuer, StringComparison.Ordinal))
        {
            return SignatureVerification.Fail($"unexpected iss '{Truncate(token.Issuer)}'");
        }

        if (!string.IsNullOrEmpty(_options.ApiKey)
            && !(token.TryGetPayloadValue<string>("api_key", out var apiKey) && string.Equals(apiKey, _options.ApiKey, StringComparison.Ordinal)))
        {
            return SignatureVerification.Fail("api_key does not match Vonage:ApiKey");
        }

        if (!TryGetSeconds(token, "iat", out var iat))
        {
            return SignatureVerification.Fail("missing iat");
        }

        var now = time.GetUtcNow();
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(iat);
        if (issuedAt > now.AddSeconds(_options.ClockSkewSeconds))
        {
            return SignatureVerification.Fail("iat is in the future");
        }

        if (now - issuedAt > TimeSpan.FromSeconds(_options.MaxSignatureAgeSeconds))
        {
            return SignatureVerification.Fail("iat is too old");
        }

        if (TryGetSeconds(token, "exp", out var exp) && DateTimeOffset.FromUnixTimeSeconds(exp).AddSeconds(_options.ClockSkewSeconds) < now)
        {
            return SignatureVerification.Fail("token expired");
        }

        if (HasBody(method))
        {
            if (!token.TryGetPayloadValue<string>("payload_hash", out var payloadHash) || string.IsNullOrEmpty(payloadHash))
            {
                return SignatureVerification.Fail("missing payload_hash");
            }

            if (!string.Equals(payloadHash, Sha256Hex(body), StringComparison.OrdinalIgnoreCase))
            {
                return SignatureVerification.Fail("payload_hash does not match the body");
            }
        }

        var jti = token.Id;
        if (string.IsNullOrEmpty(jti))
        {
            return SignatureVerification.Fail("missing jti");
        }

        var rememberUntil = issuedAt.AddSeconds(_options.MaxSignatureAgeSeconds + _options.ClockSkewSeconds);
        return replayGuard.TryReserve(jti, rememberUntil, now)
            ? new SignatureVerification(true, "ok", jti)
            : SignatureVerification.Fail("jti already used (replay)");
    }

    /// <summary>Lets a token be used again after our own handler failed (Vonage may retry with the same token).</summary>
    public void Release(string? jti)
    {
        if (!string.IsNullOrEmpty(jti))
        {
            replayGuard.Release(jti);
        }
    }

    /// <summary>Lowercase hex SHA-256, the form of <c>payload_hash</c>.</summary>
    public static string Sha256Hex(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body));

    private static bool HasBody(string method) =>
        !(HttpMethods.Get.Equals(method, StringComparison.OrdinalIgnoreCase)
          || HttpMethods.Head.Equals(method, StringComparison.OrdinalIgnoreCase));

    private bool SignatureMatches(JsonWebToken token)
    {
        var signingInput = Encoding.ASCII.GetBytes(string.Concat(token.EncodedHeader, ".", token.EncodedPayload));
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_secret, signingInput, expected);

        var encoded = token.EncodedSignature;
        if (string.IsNullOrEmpty(encoded) || Base64Url.GetMaxDecodedLength(encoded.Length) > 64)
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[64];
        int written;
        try
        {
            if (!Base64Url.TryDecodeFromChars(encoded, actual, out written))
            {
                return false;
            }
        }
        catch (FormatException)
        {
            return false; // TryDecode throws, rather than returning false, on a malformed final character
        }

        return CryptographicOperations.FixedTimeEquals(expected, actual[..written]);
    }

    // Outside DateTimeOffset's range (e.g. iat in milliseconds) a claim is unusable, not an exception.
    private static readonly long MinUnixSeconds = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    private static readonly long MaxUnixSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    private static bool TryGetSeconds(JsonWebToken token, string claim, out long seconds)
    {
        if (token.TryGetPayloadValue(claim, out seconds))
        {
            return seconds >= MinUnixSeconds && seconds <= MaxUnixSeconds;
        }

        if (token.TryGetPayloadValue<double>(claim, out var fractional) && double.IsFinite(fractional)
            && fractional >= MinUnixSeconds && fractional <= MaxUnixSeconds)
        {
            seconds = (long)fractional;
            return true;
        }

        seconds = 0;
        return false;
    }

    private static string Truncate(string? value) => value is null ? "" : value.Length <= 16 ? value : value[..16];

    private static class HttpMethods
    {
        public const string Get = "GET";
        public const string Head = "HEAD";
    }
}

using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CallTracking.Simulator;

/// <summary>
/// Signs webhook requests the way Vonage signs them: <c>Authorization: Bearer &lt;JWT&gt;</c>, HS256 with the
/// account's signature secret, claims <c>iat</c> (Unix seconds), <c>jti</c>, <c>iss</c> "Vonage",
/// <c>payload_hash</c> (hex SHA-256 of the payload), <c>api_key</c> and optionally <c>application_id</c>.
/// Every call makes a new token (a retried delivery is a new request with a new <c>jti</c>).
/// </summary>
public sealed class VonageRequestSigner(string signatureSecret, string apiKey = "simulator", string? applicationId = null,
    TimeProvider? time = null)
{
    private static readonly byte[] Header = Encoding.UTF8.GetBytes("""{"alg":"HS256","typ":"JWT"}""");

    private readonly byte[] _key = Encoding.UTF8.GetBytes(signatureSecret);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string ApiKey => apiKey;

    public string? ApplicationId => applicationId;

    /// <summary>A token for a POST: <c>payload_hash</c> covers the raw body bytes.</summary>
    public string SignBody(ReadOnlySpan<byte> body) => Sign(PayloadHash(body));

    /// <summary>
    /// A token for a GET: Vonage hashes a JSON object built from the query parameters in their original order,
    /// serialised without whitespace.
    /// </summary>
    public string SignQuery(IEnumerable<KeyValuePair<string, string>> query) => Sign(PayloadHash(QueryPayload(query)));

    public static byte[] QueryPayload(IEnumerable<KeyValuePair<string, string>> query)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in query)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static string PayloadHash(ReadOnlySpan<byte> payload) => Convert.ToHexStringLower(SHA256.HashData(payload));

    /// <summary>Builds and signs a token with the given claims (tests use it to forge variants).</summary>
    public string Sign(string payloadHash, Action<Utf8JsonWriter>? extraClaims = null, long? issuedAt = null, string? jti = null) =>
        SignRaw(Header, WriteClaims(payloadHash, extraClaims, issuedAt ?? _time.GetUtcNow().ToUnixTimeSeconds(), jti ?? Guid.NewGuid().ToString()), _key);

    /// <summary>Signs an arbitrary claims set (and header) with this signer's secret; the sweep forges tokens with it.</summary>
    public string SignClaims(ReadOnlySpan<byte> claimsJson, ReadOnlySpan<byte> headerJson = default) =>
        SignRaw(headerJson.IsEmpty ? Header : headerJson, claimsJson, _key);

    /// <summary>HMAC-SHA512 over the same input, for alg-confusion tests.</summary>
    public string SignClaimsHs512(ReadOnlySpan<byte> claimsJson)
    {
        var input = Base64Url.EncodeToString("""{"alg":"HS512","typ":"JWT"}"""u8) + "." + Base64Url.EncodeToString(claimsJson);
        return input + "." + Base64Url.EncodeToString(HMACSHA512.HashData(_key, Encoding.ASCII.GetBytes(input)));
    }

    /// <summary>Signs an arbitrary header and claims set with HS256 and the given key.</summary>
    public static string SignRaw(ReadOnlySpan<byte> headerJson, ReadOnlySpan<byte> claimsJson, ReadOnlySpan<byte> key)
    {
        var signingInput = Base64Url.EncodeToString(headerJson) + "." + Base64Url.EncodeToString(claimsJson);
        var signature = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    private byte[] WriteClaims(string payloadHash, Action<Utf8JsonWriter>? extraClaims, long issuedAt, string jti)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("iat", issuedAt);
            writer.WriteString("jti", jti);
            writer.WriteString("iss", "Vonage");
            writer.WriteString("payload_hash", payloadHash);
            writer.WriteString("api_key", apiKey);
            if (applicationId is not null)
            {
                writer.WriteString("application_id", applicationId);
            }

            extraClaims?.Invoke(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

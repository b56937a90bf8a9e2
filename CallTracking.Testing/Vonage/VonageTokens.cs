using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CallTracking.Functions.Vonage;

namespace CallTracking.Tests.Vonage;

/// <summary>Builds tokens shaped like Vonage's signed-webhook JWTs, signed the way Vonage signs them.</summary>
public static class VonageTokens
{
    public const string Secret = "test-signature-secret";

    public static Dictionary<string, object?> Claims(ReadOnlySpan<byte> body, DateTimeOffset? issuedAt = null) => new()
    {
        ["iat"] = (issuedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
        ["jti"] = Guid.NewGuid().ToString(),
        ["iss"] = "Vonage",
        ["payload_hash"] = VonageSignatureVerifier.Sha256Hex(body),
        ["api_key"] = "abc123",
        ["application_id"] = Guid.NewGuid().ToString(),
    };

    public static string Hs256(IDictionary<string, object?> claims, string secret = Secret, string alg = "HS256")
    {
        var signingInput = Encode(new Dictionary<string, object?> { ["alg"] = alg, ["typ"] = "JWT" }) + "." + Encode(claims);
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url(signature);
    }

    public static string Unsigned(IDictionary<string, object?> claims) =>
        Encode(new Dictionary<string, object?> { ["alg"] = "none", ["typ"] = "JWT" }) + "." + Encode(claims) + ".";

    public static string Rs256(IDictionary<string, object?> claims)
    {
        using var rsa = RSA.Create(2048);
        var signingInput = Encode(new Dictionary<string, object?> { ["alg"] = "RS256", ["typ"] = "JWT" }) + "." + Encode(claims);
        var signature = rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Encode(IDictionary<string, object?> json) => Base64Url(JsonSerializer.SerializeToUtf8Bytes(json));

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}

using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CallTracking.Tests.Simulator;

/// <summary>
/// An independent check of a Vonage signed-webhook token, written from Vonage's description (api-facts §1.6):
/// HS256 over "header.claims" with the signature secret, iss "Vonage", the api_key, iat in seconds, a jti,
/// and payload_hash = hex SHA-256 of the payload.
/// </summary>
internal static class SpecJwtVerifier
{
    public static JsonElement Verify(string token, string secret, ReadOnlySpan<byte> payload, string apiKey)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            throw new InvalidDataException("A JWS has three parts.");
        }

        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        if (header.RootElement.GetProperty("alg").GetString() != "HS256" || header.RootElement.GetProperty("typ").GetString() != "JWT")
        {
            throw new InvalidDataException("Header must be HS256/JWT.");
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        if (!CryptographicOperations.FixedTimeEquals(expected, Base64Url.DecodeFromChars(parts[2])))
        {
            throw new InvalidDataException("Bad signature.");
        }

        var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement.Clone();
        if (claims.GetProperty("iss").GetString() != "Vonage" || claims.GetProperty("api_key").GetString() != apiKey)
        {
            throw new InvalidDataException("Wrong issuer or api_key.");
        }

        if (claims.GetProperty("iat").ValueKind != JsonValueKind.Number || string.IsNullOrEmpty(claims.GetProperty("jti").GetString()))
        {
            throw new InvalidDataException("iat must be a number and jti present.");
        }

        var hash = Convert.ToHexString(SHA256.HashData(payload)).ToLowerInvariant();
        if (claims.GetProperty("payload_hash").GetString() != hash)
        {
            throw new InvalidDataException("payload_hash does not match.");
        }

        return claims;
    }
}

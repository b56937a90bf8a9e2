using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CallTracking.Functions.Vonage;

/// <summary>
/// Signs Vonage application JWTs (RS256 with the application's private key; claims <c>application_id</c>,
/// <c>iat</c>, <c>jti</c>, <c>exp</c>), the bearer token of Identity Insights and the Voice REST API.
/// </summary>
public sealed class ApplicationTokenSigner(IOptions<VonageOptions> options, TimeProvider time) : IDisposable
{
    /// <summary>Vonage's own SDKs default to 15 minutes; a token is made per request, so short is fine.</summary>
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private readonly Lazy<SigningCredentials> _credentials = new(() => CreateCredentials(options.Value));

    public string CreateToken()
    {
        var now = time.GetUtcNow();
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                ["application_id"] = options.Value.ApplicationId ?? throw new InvalidOperationException("Vonage__ApplicationId is not set."),
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString(),
            },
            IssuedAt = now.UtcDateTime,
            Expires = (now + Lifetime).UtcDateTime,
            SigningCredentials = _credentials.Value,
        });
    }

    /// <summary>Imports a PEM key (PKCS#8 or PKCS#1), accepting <c>\n</c> escapes from app settings; null with a reason when unusable.</summary>
    public static RSA? TryImportPrivateKey(string? pem, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(pem))
        {
            error = "is empty";
            return null;
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem.Replace("\\n", "\n", StringComparison.Ordinal));
            return rsa;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            error = "is not an RSA private key in PEM form";
            return null;
        }
    }

    public void Dispose()
    {
        if (_credentials.IsValueCreated && _credentials.Value.Key is RsaSecurityKey { Rsa: { } rsa })
        {
            rsa.Dispose();
        }
    }

    private static SigningCredentials CreateCredentials(VonageOptions settings)
    {
        var rsa = TryImportPrivateKey(settings.PrivateKey, out var error)
            ?? throw new InvalidOperationException($"Vonage__PrivateKey {error}.");
        return new SigningCredentials(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256);
    }
}

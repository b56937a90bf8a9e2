using System.Security.Cryptography;
using System.Text;
using CallTracking.Functions.Vonage;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Privacy;

/// <summary>
/// The irreversible token that stands for an erased caller's number (on kept call rows and in the audit): an
/// HMAC-SHA256 of the E.164 number. A plain hash would not do: phone numbers are few enough to hash them all.
/// The key is derived (HKDF, own label) from <c>Vonage__SignatureSecret</c>, the one secret every deployment has in
/// Key Vault, so there is no second secret to provision; the label keeps the token from revealing anything about the
/// signature secret. Rotating that secret changes the tokens of later erasures (old audit rows keep theirs).
/// </summary>
public sealed class CallerTokens(IOptions<VonageOptions> vonage)
{
    private readonly Lazy<byte[]> _key = new(() => HKDF.DeriveKey(
        HashAlgorithmName.SHA256,
        Encoding.UTF8.GetBytes(vonage.Value.SignatureSecret is { Length: > 0 } secret
            ? secret
            : throw new InvalidOperationException("Vonage__SignatureSecret is not set: the caller token key is derived from it.")),
        32,
        salt: [],
        info: Encoding.ASCII.GetBytes("calltracking/caller-token/v1")));

    /// <summary><c>tok_</c> + 32 hex digits (128 bits of the HMAC).</summary>
    public string TokenOf(string e164) =>
        "tok_" + Convert.ToHexStringLower(HMACSHA256.HashData(_key.Value, Encoding.UTF8.GetBytes(e164)))[..32];
}

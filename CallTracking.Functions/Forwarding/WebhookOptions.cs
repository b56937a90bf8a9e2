using System.ComponentModel.DataAnnotations;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// The <c>Webhooks__*</c> settings: the outgoing signed callbacks. <see cref="Secret"/> signs every callback, to the
/// global <see cref="Url"/> and to a campaign's own <c>callbackUrl</c>; without it nothing is sent (the sinks are off).
/// </summary>
public sealed class WebhookOptions : IValidatableObject
{
    public const string Section = "Webhooks";

    /// <summary>Receives every finished call; optional (campaigns may have their own <c>callbackUrl</c> instead).</summary>
    public string? Url { get; set; }

    /// <summary>The HMAC-SHA256 key of <c>X-CallTracking-Signature</c>; a Key Vault reference in Azure.</summary>
    public string? Secret { get; set; }

    /// <summary>
    /// Lets a campaign's <c>callbackUrl</c> reach loopback and private addresses. Off (the default, and in Azure):
    /// a campaign URL resolving to such an address is refused, so a campaign cannot make the app call into its own
    /// network. On only for local runs and tests.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    public bool HasSecret => !string.IsNullOrWhiteSpace(Secret);

    /// <summary>The global target is on: a URL and the secret to sign with.</summary>
    public bool IsConfigured => HasSecret && !string.IsNullOrWhiteSpace(Url);

    /// <summary>A URL without the secret to sign with: nothing can be sent.</summary>
    public bool LacksSecret => !string.IsNullOrWhiteSpace(Url) && !HasSecret;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var results = new List<ValidationResult>();
        if (!string.IsNullOrWhiteSpace(Url))
        {
            results.AddRange(SinkSettings.ValidateBaseUrl(Url, nameof(Url)));
        }

        if (HasSecret)
        {
            results.AddRange(SinkSettings.ValidateSecret(Secret, nameof(Secret)));
            if (Secret!.Length < 16)
            {
                results.Add(new ValidationResult("Must be at least 16 characters (it is an HMAC key).", [nameof(Secret)]));
            }
        }

        return results;
    }
}

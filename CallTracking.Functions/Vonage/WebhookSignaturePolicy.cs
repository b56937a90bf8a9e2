using CallTracking.Functions.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Vonage;

/// <summary>
/// Whether signed webhooks are verified, and whether they can be. Verification is on unless switched off, and it
/// cannot be switched off in Azure (App Service sets <c>WEBSITE_SITE_NAME</c> there): a local-run setting copied into
/// a deployment must not open it to forged calls. Without a secret, the signed webhooks answer 503 (Vonage retries,
/// then uses the fallback answer URL) while everything else keeps running.
/// </summary>
public sealed class WebhookSignaturePolicy : ISettingsCheck
{
    /// <summary>Set by App Service (and so Azure Functions) on every app; absent locally.</summary>
    public const string AzureSiteNameSetting = "WEBSITE_SITE_NAME";

    public WebhookSignaturePolicy(IOptions<VonageOptions> options, IConfiguration configuration)
    {
        var settings = options.Value;
        var inAzure = !string.IsNullOrEmpty(configuration[AzureSiteNameSetting]);
        SwitchOffRefused = !settings.VerifySignatures && inAzure;
        Verify = settings.VerifySignatures || inAzure;
        SecretMissing = Verify && string.IsNullOrWhiteSpace(settings.SignatureSecret);
    }

    /// <summary>Signed webhooks must carry a valid signature.</summary>
    public bool Verify { get; }

    /// <summary>Verification is on but there is no secret to verify with: signed webhooks answer 503.</summary>
    public bool SecretMissing { get; }

    /// <summary><c>Vonage__VerifySignatures=false</c> was set in Azure and ignored.</summary>
    public bool SwitchOffRefused { get; }

    public IEnumerable<SettingProblem> Problems()
    {
        if (SwitchOffRefused)
        {
            yield return new SettingProblem("Vonage:VerifySignatures",
                "false is refused in Azure (local runs only): webhook signatures are still verified.");
        }

        if (SecretMissing)
        {
            yield return new SettingProblem("Vonage:SignatureSecret",
                "missing: the Vonage webhooks (answer, event, recording, whisper, fallback) answer 503 until it is set.");
        }
    }
}

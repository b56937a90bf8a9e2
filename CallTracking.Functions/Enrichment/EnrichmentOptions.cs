using System.ComponentModel.DataAnnotations;
using CallTracking.Functions.Vonage;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Enrichment;

/// <summary>Which lookup enriches callers.</summary>
public enum EnrichmentProvider
{
    /// <summary>libphonenumber's offline data: free, no network.</summary>
    Offline,

    /// <summary>Vonage Number Insight Advanced (sync); sunsets 2027-02-04.</summary>
    NumberInsightAdvanced,

    /// <summary>Vonage Identity Insights (format, original and current carrier).</summary>
    IdentityInsights,
}

/// <summary>The <c>Enrichment__*</c> settings.</summary>
public sealed class EnrichmentOptions
{
    public const string Section = "Enrichment";

    public EnrichmentProvider Provider { get; set; } = EnrichmentProvider.Offline;

    /// <summary>How long a lookup is reused for the same caller; 0 looks up every call.</summary>
    [Range(0, 3650)]
    public int CacheDays { get; set; } = 30;

    /// <summary>
    /// EUR charged per Identity Insights lookup, for cost reporting only: unlike Number Insight, its responses carry no price.
    /// </summary>
    [Range(0, 100)]
    public decimal IdentityInsightsLookupCost { get; set; }
}

/// <summary>Checks, at start-up, the Vonage settings that the selected provider needs — and only those.</summary>
public sealed class EnrichmentOptionsValidator(IOptions<VonageOptions> vonage) : IValidateOptions<EnrichmentOptions>
{
    public ValidateOptionsResult Validate(string? name, EnrichmentOptions options)
    {
        var settings = vonage.Value;
        var failures = new List<string>();
        switch (options.Provider)
        {
            case EnrichmentProvider.NumberInsightAdvanced:
                Require(settings.ApiKey, "ApiKey");
                Require(settings.ApiSecret, "ApiSecret");
                RequireUrl(settings.ApiBaseUrl, "ApiBaseUrl");
                break;
            case EnrichmentProvider.IdentityInsights:
                Require(settings.ApplicationId, "ApplicationId");
                RequireUrl(settings.IdentityInsightsBaseUrl, "IdentityInsightsBaseUrl");
                using (var key = ApplicationTokenSigner.TryImportPrivateKey(settings.PrivateKey, out var error))
                {
                    if (key is null)
                    {
                        failures.Add($"Vonage__PrivateKey {error} (required by Enrichment__Provider=IdentityInsights).");
                    }
                }

                break;
            case EnrichmentProvider.Offline:
                break;
            default:
                failures.Add($"Enrichment__Provider '{options.Provider}' is not one of Offline, NumberInsightAdvanced, IdentityInsights.");
                break;
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Require(string? value, string key)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                failures.Add($"Vonage__{key} is required by Enrichment__Provider={options.Provider}.");
            }
        }

        void RequireUrl(string? value, string key)
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                failures.Add($"Vonage__{key} must be an absolute http(s) URL.");
            }
        }
    }
}

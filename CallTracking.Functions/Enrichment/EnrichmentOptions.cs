using System.ComponentModel.DataAnnotations;
using CallTracking.Functions.Common;
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

/// <summary>
/// The Vonage settings the selected provider needs, and which of them are missing. A provider without its settings
/// is not used: callers are enriched offline (each call says why) and health names what is missing, instead of the
/// worker refusing to start.
/// </summary>
public sealed class EnrichmentProviderSettings(IOptions<EnrichmentOptions> options, IOptions<VonageOptions> vonage) : ISettingsCheck
{
    private readonly Lazy<IReadOnlyList<SettingProblem>> _missing = new(() => FindMissing(options.Value.Provider, vonage.Value));

    // Read for every processed call: worked out once, as the settings do not change while the worker runs.
    private readonly Lazy<string?> _notConfiguredReason = new(() =>
    {
        var missing = FindMissing(options.Value.Provider, vonage.Value);
        return missing.Count == 0 ? null
            : $"{options.Value.Provider}: not configured ({string.Join(", ", missing.Select(m => m.Setting))})";
    });

    /// <summary>Null when the selected provider can be used; else why callers are enriched offline instead.</summary>
    public string? NotConfiguredReason => _notConfiguredReason.Value;

    public IEnumerable<SettingProblem> Problems() => _missing.Value;

    private static List<SettingProblem> FindMissing(EnrichmentProvider provider, VonageOptions settings)
    {
        var missing = new List<SettingProblem>();
        switch (provider)
        {
            case EnrichmentProvider.NumberInsightAdvanced:
                Require(settings.ApiKey, "ApiKey");
                Require(settings.ApiSecret, "ApiSecret");
                break;
            case EnrichmentProvider.IdentityInsights:
                Require(settings.ApplicationId, "ApplicationId");
                using (var key = ApplicationTokenSigner.TryImportPrivateKey(settings.PrivateKey, out var error))
                {
                    if (key is null)
                    {
                        missing.Add(Problem("PrivateKey", error ?? "is unusable"));
                    }
                }

                break;
        }

        return missing;

        void Require(string? value, string key)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                missing.Add(Problem(key, "is empty"));
            }
        }

        SettingProblem Problem(string key, string what) => new($"{VonageOptions.Section}:{key}",
            $"{what}, and Enrichment:Provider={provider} needs it: callers are enriched offline until it is set.");
    }
}

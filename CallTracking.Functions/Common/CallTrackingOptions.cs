using System.ComponentModel.DataAnnotations;

namespace CallTracking.Functions.Common;

/// <summary>The <c>CallTracking__*</c> settings.</summary>
public sealed class CallTrackingOptions
{
    public const string Section = "CallTracking";

    /// <summary>Base for absolute callback URLs in NCCOs (e.g. https://func-x.azurewebsites.net). Empty: taken from the request.</summary>
    /// <remarks>Checked by CallFlow's options validation: [Url] would reject the empty value the settings example uses.</remarks>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Global fallback number for unknown numbers and inactive campaigns (any format; normalised to E.164).</summary>
    public string? FallbackNumber { get; set; }

    [Required]
    [StringLength(1500, MinimumLength = 1)]
    public string UnknownNumberMessage { get; set; } = "Sorry, this number is not in service. Goodbye.";

    [Range(0, 3600)]
    public int CampaignCacheSeconds { get; set; } = 30;

    /// <summary>Region (ISO 3166 alpha-2) assumed for numbers written in national form, e.g. "07700 900123".</summary>
    [Required]
    [RegularExpression("^[A-Z]{2}$")]
    public string DefaultCountry { get; set; } = "US";

    /// <summary>Initial invisibility of a calls-completed message, so the recording webhook can arrive first.</summary>
    [Range(0, 600)]
    public int ProcessingDelaySeconds { get; set; } = 15;

    /// <summary>
    /// A call with no final event this long after its last sign of life is closed by the watchdog and processed
    /// with what the ledger knows (Vonage's final events can be lost: an outage of ours beyond its retries).
    /// At most 7 days, the longest a queue message can stay invisible.
    /// </summary>
    [Range(5, 10_080)]
    public int StaleCallMinutes { get; set; } = 240;

    /// <summary>
    /// Days calls, raw events, per-call report rows, deliveries, caller profiles not seen since, and recordings are
    /// kept (the daily purge, and the Blob lifecycle rule in Azure). Campaign aggregates stay: they hold no personal data.
    /// </summary>
    [Range(1, 36_500)]
    public int RetentionDays { get; set; } = 395;
}

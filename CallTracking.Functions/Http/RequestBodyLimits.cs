using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Vonage;

namespace CallTracking.Functions.Http;

/// <summary>
/// How many bytes each HTTP function accepts in a request body, in one place. <see cref="RequestBody"/> refuses a
/// larger body with 413 before buffering more than the limit. The host's own cap
/// (<c>FUNCTIONS_REQUEST_BODY_SIZE_LIMIT</c> in infra/modules/functionapp.bicep) is <see cref="Largest"/>, so the
/// host stops bodies that no function would read before they reach the worker.
/// </summary>
public static class RequestBodyLimits
{
    /// <summary>
    /// Every Vonage webhook (<see cref="VonageWebhooks.SignedFunctions"/>): Vonage's payloads are one flat JSON object
    /// of about 1 KiB (an <c>input</c> event with speech results a few KiB). 64 KiB leaves room for fields Vonage
    /// adds while keeping what one forged request can make the live call path buffer small.
    /// </summary>
    public const int VonageWebhook = 64 * 1024;

    /// <summary>
    /// One campaign (<c>PUT</c>): its three spoken texts of at most 1,500 characters are at most 27 KiB even when every
    /// character is JSON-escaped (6 bytes); numbers, hours and ids add little.
    /// </summary>
    public const int Campaign = 64 * 1024;

    /// <summary>
    /// An import: 4 MiB. That is 33 campaigns of the largest size (<see cref="Campaign"/>), or
    /// <see cref="CampaignAdmin.MaxImportSize"/> of about 4 KiB (a typical campaign is well under 1 KiB).
    /// </summary>
    public const int CampaignImport = 4 * 1024 * 1024;

    /// <summary>The largest limit of any function: the host's cap.</summary>
    public const int Largest = CampaignImport;

    /// <summary>Besides Vonage's webhooks, the functions that read a body, by <c>[Function]</c> name.</summary>
    public static readonly IReadOnlyDictionary<string, int> ByFunction = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["PutCampaign"] = Campaign,
        ["ImportCampaigns"] = CampaignImport,
    };

    /// <summary>The limit of the function named <paramref name="functionName"/>.</summary>
    /// <exception cref="InvalidOperationException">The function has no limit: it is not meant to read a body.</exception>
    public static int For(string functionName) =>
        VonageWebhooks.SignedFunctions.Contains(functionName) ? VonageWebhook
        : ByFunction.TryGetValue(functionName, out var limit) ? limit
        : throw new InvalidOperationException(
            $"The function '{functionName}' reads a request body but has no limit: add one to {nameof(RequestBodyLimits)}.");
}

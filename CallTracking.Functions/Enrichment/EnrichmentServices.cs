using CallTracking.Functions.Common;
using CallTracking.Functions.Vonage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Enrichment;

public static class EnrichmentServices
{
    /// <summary>
    /// Optional overrides of the Vonage clients' standard resilience settings
    /// (e.g. <c>Enrichment__Http__Retry__MaxRetryAttempts</c>, <c>Enrichment__Http__AttemptTimeout__Timeout</c>).
    /// </summary>
    public const string HttpSection = EnrichmentOptions.Section + ":Http";

    public static IServiceCollection AddEnrichment(this IServiceCollection services)
    {
        services.AddOptions<VonageOptions>()
            .BindConfiguration(VonageOptions.Section)
            .ValidateDataAnnotations();
        services.AddOptions<EnrichmentOptions>()
            .BindConfiguration(EnrichmentOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<EnrichmentProviderSettings>();
        services.AddSingleton<ISettingsCheck>(sp => sp.GetRequiredService<EnrichmentProviderSettings>());

        services.TryAddSingleton<ApplicationTokenSigner>();
        services.AddSingleton<CallerStore>();
        services.AddSingleton<OfflineLookup>();
        services.AddSingleton<NumberInsightLookup>();
        services.AddSingleton<IdentityInsightsLookup>();
        services.AddSingleton<ICallerEnrichment, CallerEnrichment>();
        services.AddSingleton<ICallerProfiles, CallerProfiles>();

        AddVonageClient(services, NumberInsightLookup.ClientName);
        AddVonageClient(services, IdentityInsightsLookup.ClientName);
        return services;
    }

    private static void AddVonageClient(IServiceCollection services, string name) =>
        services.AddHttpClient(name)
            // The default request logs print the URL, and Number Insight's URL carries the caller's number.
            .RemoveAllLoggers()
            .AddStandardResilienceHandler()
            .Configure((resilience, sp) =>
            {
                // Number Insight answers within 15 s at most; the breaker's window must span two attempts.
                resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(15);
                resilience.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(45);
                resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(60);
                sp.GetRequiredService<IConfiguration>().GetSection(HttpSection).Bind(resilience);
            });
}

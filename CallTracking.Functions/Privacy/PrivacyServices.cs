using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions.Privacy;

public static class PrivacyServices
{
    /// <summary>A caller's data export and erasure, and retention.</summary>
    public static IServiceCollection AddPrivacy(this IServiceCollection services)
    {
        services.AddSingleton<CallerTokens>();
        // Transient: it holds the typed Mixpanel client (via MixpanelErasure).
        services.AddTransient<CallerDataService>();
        services.AddSingleton<RetentionPurger>();
        services.AddSingleton<RetentionSchedule>();
        services.AddHostedService<RetentionStartup>();
        return services;
    }
}

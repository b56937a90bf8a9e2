using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions.Common;

public static class CoreServices
{
    /// <summary>Options, storage clients, table/queue creation and the optimistic-concurrency policy shared by every feature.</summary>
    public static IServiceCollection AddCallTrackingCore(this IServiceCollection services)
    {
        services.AddOptions<CallTrackingOptions>()
            .BindConfiguration(CallTrackingOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<SettingsHealth>();
        services.AddHostedService(sp => sp.GetRequiredService<SettingsHealth>());
        services.AddStorageClients();
        services.AddSingleton<StorageInitializerService>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageInitializerService>());
        // Back-off runs on real time, not on the TimeProvider service (see OptimisticConcurrency).
        services.AddSingleton(new OptimisticConcurrency(TimeProvider.System));
        return services;
    }
}

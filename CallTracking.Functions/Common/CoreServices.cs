using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions.Common;

public static class CoreServices
{
    /// <summary>Options, storage clients and table/queue creation shared by every feature.</summary>
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
        services.AddHostedService<StorageInitializerService>();
        return services;
    }
}

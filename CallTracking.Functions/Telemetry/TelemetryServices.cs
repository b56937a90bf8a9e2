using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace CallTracking.Functions.Telemetry;

public static class TelemetryServices
{
    /// <summary>The counters, always registered; whether anything exports them is <see cref="TelemetrySetup"/>'s business.</summary>
    public static IServiceCollection AddCallTrackingMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<CallTrackingMetrics>();
        services.TryAddSingleton<PoisonCountingMiddleware>();
        return services;
    }

    public static IFunctionsWorkerApplicationBuilder UsePoisonCounting(this IFunctionsWorkerApplicationBuilder builder) =>
        builder.UseWhen<PoisonCountingMiddleware>(PoisonCountingMiddleware.IsQueueTriggered);
}

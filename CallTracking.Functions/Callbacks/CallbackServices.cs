using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions.Callbacks;

public static class CallbackServices
{
    /// <summary>Missed-call callbacks: the slot store, the delayed queue, the dialer and the processing stage.</summary>
    public static IServiceCollection AddCallbacks(this IServiceCollection services)
    {
        services.AddSingleton<CallbackStore>();
        services.AddSingleton<CallbackQueue>();
        services.AddTransient<CallbackDialer>();
        services.AddTransient<CallbackScheduler>();
        services.AddSingleton<CallbackStats>();
        return services;
    }
}

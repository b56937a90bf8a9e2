using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions.Calls;

public static class CallServices
{
    public static IServiceCollection AddCalls(this IServiceCollection services)
    {
        services.AddSingleton<RecentCallRecords>();
        services.AddSingleton<CallStore>();
        services.AddSingleton<LiveCallIndex>();
        return services;
    }
}

using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions.Processing;

public static class ProcessingServices
{
    /// <summary>The processor behind <c>ProcessCompletedCall</c>.</summary>
    public static IServiceCollection AddProcessing(this IServiceCollection services)
    {
        services.AddTransient<CallProcessor>();
        return services;
    }
}

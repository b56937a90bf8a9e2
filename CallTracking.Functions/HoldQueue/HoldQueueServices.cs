using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Calls;
using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions.HoldQueue;

public static class HoldQueueServices
{
    /// <summary>The hold queue and its two hooks: the answer path's busy check and the event webhook's.</summary>
    public static IServiceCollection AddHoldQueue(this IServiceCollection services)
    {
        services.AddSingleton<HoldQueueStore>();
        services.AddSingleton<HoldQueueService>();
        services.AddSingleton<IBusyAgentAnswer, BusyAgentAnswer>();
        services.AddSingleton<UnansweredConnect>();
        services.AddSingleton<HoldEventHook>();
        services.AddSingleton<ICallEventHook>(sp => sp.GetRequiredService<HoldEventHook>());
        services.AddSingleton<ICallClosedHook>(sp => sp.GetRequiredService<HoldEventHook>());
        return services;
    }
}

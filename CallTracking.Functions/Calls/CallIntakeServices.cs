using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions.Calls;

public static class CallIntakeServices
{
    /// <summary>The event and recording webhooks' services (the ledger's <see cref="CallStore"/> comes from AddCalls).</summary>
    public static IServiceCollection AddCallIntake(this IServiceCollection services)
    {
        services.AddSingleton<CallEventStore>();
        services.AddSingleton<CallLedger>();
        services.AddSingleton<CompletionNotifier>();
        services.AddSingleton<StaleCallWatchdog>();
        services.AddSingleton<RecordingArchiveQueue>();
        services.AddSingleton<CallIntake>();
        return services;
    }
}

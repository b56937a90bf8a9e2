using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions.Processing;

public static class ProcessingServices
{
    /// <summary>
    /// The processor behind <c>ProcessCompletedCall</c>, its caller-enrichment stage and the ledger reader for the report
    /// rebuild. The pipeline itself is put together in order by the composition root (<c>AppServices</c>), which is the
    /// one place that knows every feature's stage.
    /// </summary>
    public static IServiceCollection AddProcessing(this IServiceCollection services)
    {
        services.AddTransient<CallProcessor>();
        services.AddSingleton<CallerEnrichmentStage>();
        services.AddSingleton<ProcessedCallReader>();
        return services;
    }

    /// <summary>Appends <typeparamref name="TStage"/> (registered on its own) to the stages that add to a call's results.</summary>
    public static IServiceCollection AddCallResultStage<TStage>(this IServiceCollection services) where TStage : class, ICallResultStage
    {
        services.AddTransient<ICallResultStage>(sp => sp.GetRequiredService<TStage>());
        return services;
    }

    /// <summary>Appends <typeparamref name="TStage"/> (registered on its own) to the stages run on every processed call.</summary>
    public static IServiceCollection AddCallProcessingStage<TStage>(this IServiceCollection services) where TStage : class, ICallProcessingStage
    {
        services.AddTransient<ICallProcessingStage>(sp => sp.GetRequiredService<TStage>());
        return services;
    }
}

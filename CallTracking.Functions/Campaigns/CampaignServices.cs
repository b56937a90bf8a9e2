using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions.Campaigns;

public static class CampaignServices
{
    public static IServiceCollection AddCampaigns(this IServiceCollection services)
    {
        services.AddSingleton<CampaignStore>();
        services.AddSingleton<CampaignValidator>();
        services.AddSingleton<CampaignDirectory>();
        services.AddSingleton<WhenBusyAgents>();
        services.AddSingleton<CampaignAdmin>();
        services.AddHostedService<CampaignDirectoryWarmUp>();
        return services;
    }
}

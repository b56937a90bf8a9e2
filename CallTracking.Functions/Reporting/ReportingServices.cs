using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions.Reporting;

public static class ReportingServices
{
    /// <summary>Aggregates (fed by the processor: <see cref="CampaignReportWriter"/> is one of its stages), stats, call records, dashboard.</summary>
    public static IServiceCollection AddReporting(this IServiceCollection services)
    {
        services.AddSingleton<ReportStore>();
        services.AddSingleton<CampaignReportWriter>();
        services.AddSingleton<LiveCallsStage>();
        services.AddSingleton<CallerList>();
        services.AddSingleton<ReportRebuilder>();
        services.AddSingleton<CampaignStatsService>();
        services.AddSingleton<CallRecordsService>();
        services.AddOptions<CsvExportOptions>().BindConfiguration(CsvExportOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<DashboardAssets>();
        return services;
    }
}

using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions.Recordings;

public static class RecordingServices
{
    /// <summary>The recording archive (copy job) and its links (the Voice API client comes from AddVoiceApi).</summary>
    public static IServiceCollection AddRecordings(this IServiceCollection services)
    {
        services.AddSingleton<RecordingArchiver>();
        services.AddSingleton<RecordingLinks>();
        return services;
    }
}

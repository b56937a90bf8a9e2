using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace CallTracking.Functions.Vonage;

public static class VoiceApiServices
{
    /// <summary>The Voice REST API client, its host rule and the application JWT signer (registered once).</summary>
    public static IServiceCollection AddVoiceApi(this IServiceCollection services)
    {
        services.AddOptions<VonageOptions>().BindConfiguration(VonageOptions.Section).ValidateDataAnnotations();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApplicationTokenSigner>();
        services.TryAddSingleton<VonageHosts>();
        services.AddHttpClient<VoiceApiClient>()
            // The default request logs print URLs, and a recording or call URL is personal data enough.
            .RemoveAllLoggers()
            .AddStandardResilienceHandler()
            .Configure(resilience =>
            {
                resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(10);
                resilience.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(30);
                resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(30);
                // Only call control trips the breaker: reads that fail (a recording download from a host out of reach,
                // a huge file timing out, a leg check) must not stop the transfers of callers on hold.
                resilience.CircuitBreaker.ShouldHandle = args => args.Context.GetRequestMessage()?.Method == HttpMethod.Get
                    ? ValueTask.FromResult(false)
                    : ValueTask.FromResult(HttpClientResiliencePredicates.IsTransient(args.Outcome));
                // A transfer or a new call that timed out may have happened: retrying it blindly could transfer a
                // caller twice or ring an agent twice. Retry only what surely did not reach Vonage's logic:
                // a refused connection, a 429 or a 503.
                resilience.Retry.ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } } => true,
                    { Result.StatusCode: HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable } => true,
                    _ => false,
                });
            });
        return services;
    }
}

using CallTracking.Functions.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Forwarding;

public static class ForwardingServices
{
    /// <summary>The delivery ledger, the sinks (each on when its settings are present) and the replay service.</summary>
    public static IServiceCollection AddForwarding(this IServiceCollection services)
    {
        AddValidatedOptions<ForwardingOptions>(services, ForwardingOptions.Section);
        AddValidatedOptions<MixpanelOptions>(services, MixpanelOptions.Section);
        AddValidatedOptions<ImpactOptions>(services, ImpactOptions.Section);
        AddValidatedOptions<SegmentOptions>(services, SegmentOptions.Section);
        AddValidatedOptions<WebhookOptions>(services, WebhookOptions.Section);

        // Polly logs every execution attempt at Information (one line per sink request); its retries and failures
        // (Warning and above) still show.
        services.AddLogging(logging => logging.AddFilter("Polly", LogLevel.Warning));
        services.AddSingleton<ISettingsCheck, SinkSettingsCheck>();
        services.AddSingleton<DeliveryLedger>();
        services.AddSingleton<PoisonReplayer>();
        services.AddSingleton<DeliveryRequeue>();
        services.AddSingleton<FailedDeliveryReplayer>();
        services.AddSingleton<DeliveryReport>();
        services.AddTransient<CallForwarder>();
        services.AddTransient<MixpanelErasure>();

        services.AddHttpClient<MixpanelClient>((sp, client) =>
                client.BaseAddress = SinkSettings.BaseAddress(sp.GetRequiredService<IOptions<MixpanelOptions>>().Value.ApiBaseUrl))
            .AddSinkResilience();
        services.AddHttpClient<ImpactSink>((sp, client) =>
                client.BaseAddress = SinkSettings.BaseAddress(sp.GetRequiredService<IOptions<ImpactOptions>>().Value.ApiBaseUrl))
            .AddSinkResilience(deduplicates: ImpactSink.Deduplicates);
        services.AddHttpClient<SegmentSink>((sp, client) =>
                client.BaseAddress = SinkSettings.BaseAddress(sp.GetRequiredService<IOptions<SegmentOptions>>().Value.ApiBaseUrl))
            .AddSinkResilience();

        services.AddHttpClient<WebhookSink>()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            .AddSinkResilience();
        services.AddHttpClient<CampaignWebhookSink>()
            .ConfigurePrimaryHttpMessageHandler(sp => PublicAddressGuard.CreateHandler(sp.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateNetworks))
            .AddSinkResilience();

        // Transient, like the typed clients they wrap; the order is the ledger's display order only.
        services.AddTransient<IDeliverySink, MixpanelEventSink>();
        services.AddTransient<IDeliverySink, MixpanelPeopleSink>();
        services.AddTransient<IDeliverySink>(sp => sp.GetRequiredService<ImpactSink>());
        services.AddTransient<IDeliverySink>(sp => sp.GetRequiredService<SegmentSink>());
        services.AddTransient<IDeliverySink>(sp => sp.GetRequiredService<WebhookSink>());
        services.AddTransient<IDeliverySink>(sp => sp.GetRequiredService<CampaignWebhookSink>());
        return services;
    }

    private static void AddValidatedOptions<T>(IServiceCollection services, string section) where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();

    /// <summary>
    /// Per-attempt and total timeouts, and retries with jittered exponential back-off on 429, 5xx, network
    /// errors and timeouts, honouring Retry-After; all short enough to finish inside one queue invocation,
    /// after which the queue's own redelivery takes over.
    /// </summary>
    /// <param name="deduplicates">
    /// False for a sink that does not deduplicate a repeated POST: a request that may have reached it (a timeout, a
    /// connection lost after sending) is not retried, as it may have been recorded (<see cref="HttpFailure.MayHaveBeenSent"/>).
    /// </param>
    private static IHttpClientBuilder AddSinkResilience(this IHttpClientBuilder builder, bool deduplicates = true)
    {
        // Four Information lines per request ("Start processing", "Sending", …) that only say a send happened: the
        // ledger, the forwarder's own log and the dependency telemetry already do (bench/README.md: CPU per call).
        builder.RemoveAllLoggers();
        builder.AddStandardResilienceHandler().Configure((resilience, sp) =>
        {
            var forwarding = sp.GetRequiredService<IOptions<ForwardingOptions>>().Value;
            var attempt = TimeSpan.FromSeconds(forwarding.AttemptTimeoutSeconds);
            resilience.AttemptTimeout.Timeout = attempt;
            resilience.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(forwarding.TotalTimeoutSeconds);
            resilience.Retry.MaxRetryAttempts = forwarding.MaxRetryAttempts;
            resilience.Retry.Delay = TimeSpan.FromMilliseconds(forwarding.RetryDelayMilliseconds);
            resilience.Retry.BackoffType = Polly.DelayBackoffType.Exponential;
            resilience.Retry.UseJitter = true;
            resilience.Retry.ShouldRetryAfterHeader = true;
            if (!deduplicates)
            {
                resilience.Retry.ShouldHandle = args => ValueTask.FromResult(
                    HttpClientResiliencePredicates.IsTransient(args.Outcome) && !HttpFailure.MayHaveBeenSent(args.Outcome.Exception));
            }

            resilience.Retry.MaxDelay = TimeSpan.FromSeconds(forwarding.TotalTimeoutSeconds);
            resilience.CircuitBreaker.SamplingDuration = attempt * 2 > TimeSpan.FromSeconds(30) ? attempt * 2 : TimeSpan.FromSeconds(30);
        });

        // Added after (inside) the resilience handler: it sees each retry.
        builder.AddHttpMessageHandler(() => new RequestCountingHandler());
        return builder;
    }
}

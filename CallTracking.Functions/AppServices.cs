using CallTracking.Functions.Callbacks;
using CallTracking.Functions.CallFlow;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Enrichment;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.HoldQueue;
using CallTracking.Functions.Http;
using CallTracking.Functions.Privacy;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Recordings;
using CallTracking.Functions.Reporting;
using CallTracking.Functions.Telemetry;
using CallTracking.Functions.Vonage;
using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions;

/// <summary>
/// The app's whole service registration, in one place: used by Program.cs and by the tests,
/// so tests run the same wiring (and the same start-up validation) as production.
/// </summary>
public static class AppServices
{
    public static IServiceCollection AddCallTrackingApp(this IServiceCollection services) =>
        services
            .AddCallTrackingCore()
            .AddCallTrackingMetrics()
            .AddHttpEdge()
            .AddCampaigns()
            .AddCallFlow()
            .AddCalls()
            .AddVonageWebhookSignatures()
            .AddVoiceApi()
            .AddCallIntake()
            .AddHoldQueue()
            .AddRecordings()
            .AddEnrichment()
            .AddForwarding()
            .AddReporting()
            .AddProcessing()
            .AddPrivacy()
            .AddCallbacks()
            // The processing pipeline, in the order it runs. Reporting before forwarding: a sink that keeps failing
            // fails the invocation (the message is retried, then poisoned), and the call must be counted all the same.
            .AddCallResultStage<CallerEnrichmentStage>()
            .AddCallProcessingStage<CampaignReportWriter>()
            // Before forwarding: a failing sink must not hold up a missed call's callback.
            .AddCallProcessingStage<CallbackScheduler>()
            .AddCallProcessingStage<CallForwarder>();
}

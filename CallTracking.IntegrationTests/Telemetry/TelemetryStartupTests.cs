using CallTracking.Functions;
using CallTracking.Functions.Telemetry;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Xunit;

namespace CallTracking.Tests.Telemetry;

/// <summary>The telemetry wiring of Program.cs: nothing without a connection string; the exporter with one.</summary>
[Collection(TelemetryExportCollection.Name)]
public class TelemetryStartupTests
{
    /// <summary>What Application Insights' ingestion answers when it took everything.</summary>
    public const string Accepted = """{"itemsReceived":1,"itemsAccepted":1,"errors":[]}""";

    public static string ConnectionString(string ingestionBaseUrl) =>
        $"InstrumentationKey=00000000-0000-0000-0000-0000000000a1;IngestionEndpoint={ingestionBaseUrl}/";

    [Fact]
    public void Without_a_connection_string_no_open_telemetry_service_is_registered()
    {
        var services = new ServiceCollection();
        services.AddCallTrackingApp();
        var before = services.Count;

        Assert.False(TelemetrySetup.AddCallTrackingTelemetry(services, new ConfigurationBuilder().Build()));

        Assert.Equal(before, services.Count);
        Assert.DoesNotContain(services, d => IsOpenTelemetry(d.ServiceType) || IsOpenTelemetry(d.ImplementationType));
    }

    [Fact]
    public void With_a_connection_string_tracing_and_metrics_are_registered()
    {
        var services = new ServiceCollection();
        services.AddCallTrackingApp();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TelemetrySetup.ConnectionStringSetting] = ConnectionString("http://127.0.0.1:9"),
        }).Build();

        Assert.True(TelemetrySetup.AddCallTrackingTelemetry(services, configuration));

        Assert.Contains(services, d => d.ServiceType == typeof(TracerProvider));
        Assert.Contains(services, d => d.ServiceType == typeof(MeterProvider));
    }

    // The tracer listens process-wide: it runs in TelemetryExportCollection (alone, after the parallel collections),
    // so other tests' HTTP and storage calls are not exported with its spans and cannot crowd them out.
    [Fact]
    public async Task Spans_and_counters_reach_the_ingestion_endpoint_with_caller_numbers_masked()
    {
        await using var ingestion = await HttpStubServer.StartAsync();
        ingestion.OnAny(StubResponse.Json(200, Accepted));
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TelemetrySetup.ConnectionStringSetting] = ConnectionString(ingestion.BaseUrl),
        });
        builder.Services.AddCallTrackingMetrics();
        builder.AddCallTrackingTelemetry();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            host.Services.GetRequiredService<CallTrackingMetrics>().CallProcessed("Answered");
            // Number Insight's shape: the caller in the query; and one in a path segment. Sent again until the
            // exporter has shipped a span of it (a loaded machine may export the first batch late): what is
            // asserted is what leaves the process, not when.
            var sent = "";
            using var http = new HttpClient();
            // Until both shapes have shipped: one may leave in a later batch than the other.
            for (var round = 0; round < 10
                && !(sent.Contains("/lookup/", StringComparison.Ordinal) && sent.Contains("/ni/advanced/json", StringComparison.Ordinal)); round++)
            {
                // Paced: the exporter samples at most a few traces per second (rate-limited sampling), and a
                // tight loop had every /ni/ span of one run sampled out.
                await Task.Delay(round == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(1));
                await http.GetAsync($"{ingestion.BaseUrl}/ni/advanced/json?number=447700900123");
                await http.GetAsync($"{ingestion.BaseUrl}/lookup/%2B447700900456");
                Assert.True(host.Services.GetRequiredService<TracerProvider>().ForceFlush(15_000));
                Assert.True(host.Services.GetRequiredService<MeterProvider>().ForceFlush(15_000));
                sent = string.Join("\n", ingestion.RequestsTo("/v2.1/track").Select(r => r.Body));
            }

            Assert.Contains(CallTrackingMetrics.CallsProcessed, sent, StringComparison.Ordinal);
            Assert.Contains("/lookup/%2B447*******56", sent, StringComparison.Ordinal);
            Assert.Contains("/ni/advanced/json", sent, StringComparison.Ordinal);
            Assert.DoesNotContain("7700900", sent, StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static bool IsOpenTelemetry(Type? type) =>
        type?.Namespace?.StartsWith("OpenTelemetry", StringComparison.Ordinal) == true
        || type?.Namespace?.StartsWith("Azure.Monitor", StringComparison.Ordinal) == true;
}

/// <summary>
/// Alone, after the parallel collections: an OpenTelemetry tracer listens process-wide, so other tests' HTTP calls
/// running at the same time would be exported with this test's spans and crowd them out of what it checks.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryExportCollection
{
    public const string Name = "TelemetryExport";
}

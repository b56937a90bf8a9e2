using System.Net;
using CallTracking.Functions.Telemetry;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.Telemetry;

/// <summary>
/// The real worker, through the local Functions host, with and without a connection string: it starts and answers
/// health either way, and with one its telemetry reaches the ingestion endpoint (a local stub).
/// </summary>
public class TelemetryEndToEndTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_worker_starts_and_answers_health_with_and_without_a_connection_string(bool withConnectionString)
    {
        await using var ingestion = await HttpStubServer.StartAsync();
        ingestion.OnAny(StubResponse.Json(200, TelemetryStartupTests.Accepted));
        var fixture = new TelemetryHostFixture(withConnectionString ? TelemetryStartupTests.ConnectionString(ingestion.BaseUrl) : null);
        await fixture.InitializeAsync();
        try
        {
            using var health = await fixture.Client.GetAsync("api/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);

            if (withConnectionString)
            {
                // Traces and logs leave in batches every 5 s; the storage set-up at start makes dependencies.
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (ingestion.RequestsTo("/v2.1/track").Count == 0 && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(250);
                }

                Assert.NotEmpty(ingestion.RequestsTo("/v2.1/track"));
            }
            else
            {
                await Task.Delay(TimeSpan.FromSeconds(6));
                Assert.Empty(ingestion.Requests);
            }
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    private sealed class TelemetryHostFixture(string? connectionString) : FunctionsHostFixture
    {
        protected override void ConfigureSettings(IDictionary<string, string?> settings)
        {
            base.ConfigureSettings(settings);
            if (connectionString is not null)
            {
                settings[TelemetrySetup.ConnectionStringSetting] = connectionString;
            }
        }
    }
}

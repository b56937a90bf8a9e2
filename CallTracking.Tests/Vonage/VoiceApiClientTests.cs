using System.Net;
using System.Text.Json.Nodes;
using CallTracking.Functions.Vonage;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Vonage;

public sealed class VoiceApiClientTests
{
    [Fact]
    public async Task A_transfer_is_a_signed_PUT_with_the_NCCO_as_destination()
    {
        await using var stub = await VoiceApiStub.StartAsync();
        stub.Server.On("PUT", "/v1/calls/leg-b", new StubResponse(204));
        await using var services = Services(stub.Settings());
        var client = services.GetRequiredService<VoiceApiClient>();

        await client.TransferAsync("leg-b", [new JsonObject { ["action"] = "connect" }], regionUrl: "https://api-us.nexmo.com", CancellationToken.None);

        var request = Assert.Single(stub.Server.RequestsTo("/v1/calls/leg-b", "PUT"));
        stub.AssertSignedByApplication(request);
        var body = request.Json();
        Assert.Equal("transfer", body.GetProperty("action").GetString());
        Assert.Equal("ncco", body.GetProperty("destination").GetProperty("type").GetString());
        Assert.Equal("connect", body.GetProperty("destination").GetProperty("ncco")[0].GetProperty("action").GetString());
    }

    [Fact]
    public async Task A_transfer_that_times_out_is_not_sent_again()
    {
        await using var stub = await VoiceApiStub.StartAsync();
        stub.Server.On("PUT", "/v1/calls/leg-b", new StubResponse(204, Delay: TimeSpan.FromSeconds(15)));
        await using var services = Services(stub.Settings());
        var client = services.GetRequiredService<VoiceApiClient>();

        await Assert.ThrowsAnyAsync<Exception>(() => client.TransferAsync("leg-b", [], null, CancellationToken.None));

        Assert.Single(stub.Server.RequestsTo("/v1/calls/leg-b", "PUT"));
    }

    [Fact]
    public async Task A_503_is_retried_and_a_404_is_permanent()
    {
        await using var stub = await VoiceApiStub.StartAsync();
        stub.Server.On("PUT", "/v1/calls/gone", new StubResponse(404, "{\"title\":\"Not found\"}"));
        stub.Server.On("PUT", "/v1/calls/busy", new StubResponse(503), new StubResponse(204));
        await using var services = Services(stub.Settings());
        var client = services.GetRequiredService<VoiceApiClient>();

        var gone = await Assert.ThrowsAsync<VoiceApiException>(() => client.TransferAsync("gone", [], null, CancellationToken.None));
        await client.TransferAsync("busy", [], null, CancellationToken.None);

        Assert.True(gone.IsPermanent);
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        Assert.Equal(2, stub.Server.RequestsTo("/v1/calls/busy", "PUT").Count);
    }

    [Fact]
    public async Task A_recording_on_a_foreign_host_is_refused_before_any_request()
    {
        await using var stub = await VoiceApiStub.StartAsync();
        await using var services = Services(stub.Settings());
        var client = services.GetRequiredService<VoiceApiClient>();

        var refused = await Assert.ThrowsAsync<VoiceApiException>(() =>
            client.GetRecordingAsync(new Uri("https://attacker.example/v1/files/x"), CancellationToken.None));

        Assert.True(refused.IsPermanent);
        Assert.Empty(stub.Server.Requests);
    }

    [Theory]
    [InlineData(null, "https://api-eu.nexmo.com/", "https://api-eu.nexmo.com/")]
    [InlineData(null, "https://evil.example/", "https://api.nexmo.com/")]
    [InlineData(null, null, "https://api.nexmo.com/")]
    [InlineData("http://127.0.0.1:9000", "https://api-eu.nexmo.com/", "http://127.0.0.1:9000/")]
    public void The_base_is_the_setting_then_a_Vonage_region_url_then_the_default(string? configured, string? regionUrl, string expected)
    {
        var hosts = new VonageHosts(Microsoft.Extensions.Options.Options.Create(new VonageOptions { VoiceApiBaseUrl = configured }));

        Assert.Equal(expected, hosts.VoiceApiBase(regionUrl).ToString());
    }

    private static ServiceProvider Services(IReadOnlyDictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddVoiceApi();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CallTracking.Simulator;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Reporting;
using Xunit;

namespace CallTracking.Tests.Simulator;

/// <summary>The simulator's campaign fetch against a stub: exactly what goes over the wire.</summary>
public class CampaignFetchTests
{
    private const string OneCampaign = """[{"id":"c1","trackingNumber":"+442079460123","agentNumber":"+447700900555"}]""";

    [Fact]
    public async Task The_key_is_sent_as_x_functions_key()
    {
        await using var stub = await HttpStubServer.StartAsync();
        stub.On("GET", "/api/campaigns", StubResponse.Json(200, OneCampaign));
        using var http = SimulatorRun.CreateHttpClient(new Uri(stub.BaseUrl + "/"), 4);

        var campaigns = await CampaignSource.LoadAsync("fetch", http, "stub-key", CancellationToken.None);

        Assert.Equal("c1", Assert.Single(campaigns).Id);
        Assert.Equal("stub-key", Assert.Single(stub.RequestsTo("/api/campaigns", "GET")).Header("x-functions-key"));
    }

    [Fact]
    public async Task Without_a_key_no_header_is_sent()
    {
        await using var stub = await HttpStubServer.StartAsync();
        stub.On("GET", "/api/campaigns", StubResponse.Json(200, OneCampaign));
        using var http = SimulatorRun.CreateHttpClient(new Uri(stub.BaseUrl + "/"), 4);

        await CampaignSource.LoadAsync("fetch", http, null, CancellationToken.None);

        Assert.Null(Assert.Single(stub.RequestsTo("/api/campaigns", "GET")).Header("x-functions-key"));
    }

    [Theory]
    [InlineData(401, null)]
    [InlineData(403, "refused-key-5678")]
    public async Task A_refusal_says_how_to_pass_a_key_and_never_echoes_it(int status, string? key)
    {
        await using var stub = await HttpStubServer.StartAsync();
        stub.On("GET", "/api/campaigns", new StubResponse(status, ""));
        using var http = SimulatorRun.CreateHttpClient(new Uri(stub.BaseUrl + "/"), 4);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => CampaignSource.LoadAsync("fetch", http, key, CancellationToken.None));

        Assert.Contains($"answered {status}", error.Message, StringComparison.Ordinal);
        Assert.Contains("pass --function-key or set CALLTRACKING_FUNCTION_KEY", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("refused-key-5678", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>
/// Issue 11, item 6: the simulator against the local host with keys enforced (as in Azure). In process for the
/// fetch, and the built simulator as a process for what a user sees when the key is missing or wrong.
/// </summary>
[Collection(KeyedFunctionsHostCollection.Name)]
public class SimulatorKeyedHostTests(KeyedFunctionsHostFixture app)
{
    [Fact]
    public async Task Campaign_fetch_with_the_function_key_lists_the_campaigns()
    {
        var id = TestServices.UniqueId("simkey");
        var number = TestNumbers.London();
        using (var put = new HttpRequestMessage(HttpMethod.Put, $"api/campaigns/{id}"))
        {
            put.Headers.Add("x-functions-key", app.Host.Keys.MasterKey); // campaign writes are admin level
            // With a Content-Length: the Functions host drops a chunked body (what JsonContent sends).
            put.Content = new StringContent(JsonSerializer.Serialize(new { name = "Simulator key", trackingNumber = number, agentNumber = TestNumbers.UkMobile() }),
                Encoding.UTF8, "application/json");
            using var created = await app.Client.SendAsync(put);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var http = SimulatorRun.CreateHttpClient(app.Host.BaseAddress, 4);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => CampaignSource.LoadAsync("fetch", http, null, CancellationToken.None));
        var campaigns = await CampaignSource.LoadAsync("fetch", http, KeyedFunctionsHostFixture.FunctionKey, CancellationToken.None);

        Assert.Contains("answered 401", refused.Message, StringComparison.Ordinal);
        var campaign = Assert.Single(campaigns, c => c.Id == id);
        Assert.Equal(number, campaign.TrackingNumber);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key-9137")]
    public async Task The_simulator_without_a_good_key_exits_with_a_clear_message_not_a_stack_trace(string? key)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "CallTracking.Simulator.dll"), "--base-url", app.Host.BaseAddress.ToString(),
                "--signature-secret", "unused-secret", "--calls", "1",
            },
        };
        start.Environment.Remove(SimulatorArguments.FunctionKeyVariable);
        if (key is not null)
        {
            start.ArgumentList.Add("--function-key");
            start.ArgumentList.Add(key);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;

        Assert.Equal(1, process.ExitCode);
        Assert.Contains("GET /api/campaigns answered 401", await stderr, StringComparison.Ordinal);
        Assert.Contains("pass --function-key or set CALLTRACKING_FUNCTION_KEY", await stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-key-9137", output, StringComparison.Ordinal);
    }
}

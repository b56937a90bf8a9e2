using CallTracking.Functions.Telemetry;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace CallTracking.Tests.Telemetry;

/// <summary>The poison count needs the host's maxDequeueCount, which the worker reads as the host does.</summary>
public class PoisonCountingMiddlewareTests
{
    [Fact]
    public void Max_dequeue_count_comes_from_host_json()
    {
        var configuration = new ConfigurationBuilder().Build();
        var hostJson = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(RepositoryPaths.Combine("host.json")))!;
        var configured = (int)hostJson["extensions"]!["queues"]!["maxDequeueCount"]!;

        Assert.NotEqual(5, configured); // not the host's default, so the value really comes from the file
        Assert.Equal(configured, PoisonCountingMiddleware.MaxDequeueCount(configuration, RepositoryPaths.Combine("host.json")));
    }

    [Fact]
    public void An_app_setting_overrides_host_json_and_without_either_the_host_default_applies()
    {
        var overridden = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "2",
        }).Build();

        Assert.Equal(2, PoisonCountingMiddleware.MaxDequeueCount(overridden, RepositoryPaths.Combine("host.json")));
        Assert.Equal(5, PoisonCountingMiddleware.MaxDequeueCount(new ConfigurationBuilder().Build(), Path.Combine(Path.GetTempPath(), "no-such-host.json")));
    }
}

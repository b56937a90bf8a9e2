using CallTracking.LocalHost.Configuration;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.LocalHost;

public class HostJsonTests
{
    [Fact]
    public void Repository_host_json_queue_settings_are_read()
    {
        var hostJson = HostJson.Parse(File.ReadAllText(RepositoryPaths.Combine("host.json")));

        Assert.Equal("api", hostJson.RoutePrefix);
        Assert.Equal(16, hostJson.Queues.BatchSize);
        Assert.Equal(TimeSpan.FromMinutes(2), hostJson.Queues.VisibilityTimeout);
        Assert.Equal(20, hostJson.Queues.MaxDequeueCount);
        Assert.Equal(TimeSpan.FromSeconds(2), hostJson.Queues.MaxPollingInterval);
        Assert.True(hostJson.Queues.Base64);
        Assert.Equal(TimeSpan.FromMinutes(5), hostJson.FunctionTimeout);
    }

    [Fact]
    public void Repository_host_json_rides_out_a_30_minute_outage_and_retries_a_one_off_failure_within_minutes()
    {
        var queues = HostJson.Parse(File.ReadAllText(RepositoryPaths.Combine("host.json"))).Queues;

        // A failed message is visible again visibilityTimeout after each failure (no back-off: the queue trigger has
        // none), so poison comes no sooner than (maxDequeueCount - 1) x visibilityTimeout after the first attempt.
        var horizon = (queues.MaxDequeueCount - 1) * queues.VisibilityTimeout;
        Assert.True(horizon >= TimeSpan.FromMinutes(30), $"poison after {horizon} of outage");
        Assert.True(queues.VisibilityTimeout <= TimeSpan.FromMinutes(2), $"a one-off failure waits {queues.VisibilityTimeout}");
    }

    [Fact]
    public void Defaults_apply_when_host_json_is_silent()
    {
        var hostJson = HostJson.Parse("""{ "version": "2.0" }""");

        Assert.Equal("api", hostJson.RoutePrefix);
        Assert.Equal(TimeSpan.Zero, hostJson.Queues.VisibilityTimeout);
        Assert.Equal(5, hostJson.Queues.MaxDequeueCount);
    }

    [Fact]
    public void App_settings_override_host_json_like_on_the_real_host()
    {
        var settings = new Dictionary<string, string>
        {
            ["extensions__queues__maxDequeueCount"] = "2",
            ["extensions__http__routePrefix"] = "",
            ["extensions__queues__messageEncoding"] = "none",
        };

        var hostJson = HostJson.Parse("""{ "extensions": { "queues": { "maxDequeueCount": 5, "batchSize": 99 } } }""",
            name => settings.GetValueOrDefault(name));

        Assert.Equal(2, hostJson.Queues.MaxDequeueCount);
        Assert.Equal(32, hostJson.Queues.BatchSize);
        Assert.Equal("", hostJson.RoutePrefix);
        Assert.False(hostJson.Queues.Base64);
    }
}

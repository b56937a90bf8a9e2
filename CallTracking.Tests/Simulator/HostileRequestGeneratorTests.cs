using CallTracking.Simulator;
using CallTracking.Simulator.Sweep;
using Xunit;

namespace CallTracking.Tests.Simulator;

public class HostileRequestGeneratorTests
{
    [Fact]
    public void Covers_every_http_function_with_over_a_thousand_requests()
    {
        var requests = new HostileRequestGenerator(new VonageRequestSigner("s", "k"), "swp-test").Generate().ToList();

        Assert.True(requests.Count >= 1000, $"only {requests.Count} requests");
        Assert.Equal(
            ["answer", "calls", "calls.csv", "campaigns", "deliveries", "event", "fallback", "rebuild", "recording", "replay", "stats", "whisper"],
            requests.Select(r => r.Endpoint).Distinct().Order());
        Assert.Contains(requests, r => r.Body is { Length: >= 5 * 1024 * 1024 });
        Assert.Contains(requests, r => r.Endpoint == "event" && r.Name.StartsWith("forged: expired", StringComparison.Ordinal));
        Assert.All(requests.GroupBy(r => (r.Endpoint, r.Method, r.Name)), g => Assert.Single(g));
    }
}

using System.Net;
using System.Text.Json;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.LocalHost;

/// <summary>The real app in the real worker process, behind the local host, over HTTP only.</summary>
[Collection(FunctionsHostCollection.Name)]
public class LocalHostEndToEndTests(FunctionsHostFixture host)
{
    [Fact]
    public async Task Health_answers_from_the_worker()
    {
        var response = await host.Client.GetAsync(new Uri("api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("ok", body.RootElement.GetProperty("status").GetString());
        // The call-start writer's counts are visible (how many the answer had to drop above all).
        var callStarts = body.RootElement.GetProperty("callStarts");
        Assert.Equal(JsonValueKind.Number, callStarts.GetProperty("dropped").ValueKind);
        Assert.Equal(JsonValueKind.Number, callStarts.GetProperty("written").ValueKind);
        Assert.Equal(JsonValueKind.Number, callStarts.GetProperty("pending").ValueKind);
    }

    [Theory]
    [InlineData("", "calls-completed")]
    [InlineData("?queue=calls-watchdog", "calls-watchdog")]
    public async Task Replay_answers_for_each_replayable_queue_even_before_anything_was_poisoned(string query, string queue)
    {
        var response = await host.Client.PostAsync(new Uri("api/ops/replay" + query, UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(queue, body.RootElement.GetProperty("queue").GetString());
        // Other tests of this host may have poisoned messages, so the count itself is not fixed; its shape is.
        Assert.Equal(JsonValueKind.Number, body.RootElement.GetProperty("moved").ValueKind);
    }

    [Fact]
    public async Task Unknown_route_is_404()
    {
        var response = await host.Client.GetAsync(new Uri("api/no-such-function", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Wrong_method_is_405()
    {
        var response = await host.Client.DeleteAsync(new Uri("api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public void Every_function_the_worker_indexed_was_loaded()
    {
        Assert.Contains(host.Host.Functions, f => f.Name == "Health" && f.Http?.Route == "health");
        Assert.Empty(host.Host.FunctionErrors.Select(e => e.ToString()));
        Assert.Contains("functions loaded", host.Log, StringComparison.Ordinal);
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.LocalHost;

/// <summary>
/// What a default deployment looks like before its secrets are set: the signature secret empty while verification
/// is on, impact.com switched on without its token, and a paid enrichment provider without its keys.
/// </summary>
public sealed class DegradedHostFixture : FunctionsHostFixture
{
    /// <summary>Before the worker started: every log entry of this collection comes after it.</summary>
    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

    protected override void ConfigureSettings(IDictionary<string, string?> settings)
    {
        base.ConfigureSettings(settings);
        settings["Vonage__VerifySignatures"] = "true";
        settings["Vonage__SignatureSecret"] = "";
        settings["Impact__AccountSid"] = "IRdegradedSid";
        settings["Impact__AuthToken"] = "";
        settings["Enrichment__Provider"] = "NumberInsightAdvanced";
        settings["Vonage__ApiKey"] = "";
        settings["Vonage__ApiSecret"] = "";
    }
}

[CollectionDefinition(Name)]
public sealed class DegradedHostCollection : ICollectionFixture<DegradedHostFixture>
{
    public const string Name = "DegradedHost";
}

/// <summary>Missing secrets degrade the app; they never stop the worker (issue 11, item 4).</summary>
[Collection(DegradedHostCollection.Name)]
public class DegradedStartTests(DegradedHostFixture host)
{
    [Fact]
    public async Task Health_is_200_degraded_and_names_every_missing_setting()
    {
        var response = await host.Client.GetAsync(new Uri("api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("degraded", body.RootElement.GetProperty("status").GetString());
        var named = body.RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("setting").GetString()).ToList();
        Assert.Equal(["Impact:AuthToken", "Vonage:ApiKey", "Vonage:ApiSecret", "Vonage:SignatureSecret"], named.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("api/event")]
    [InlineData("api/answer")]
    [InlineData("api/recording")]
    public async Task Signed_webhooks_answer_503_with_a_problem_body_so_vonage_retries_then_falls_back(string path)
    {
        using var content = new StringContent("""{"uuid":"u-1","conversation_uuid":"CON-degraded","status":"started"}""", Encoding.UTF8, "application/json");
        var response = await host.Client.PostAsync(new Uri(path, UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(503, body.RootElement.GetProperty("status").GetInt32());
        Assert.Contains("signature secret", body.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_missing_secret_is_logged_once_a_minute_not_once_per_request()
    {
        for (var i = 0; i < 5; i++)
        {
            using var content = new StringContent("{}", Encoding.UTF8, "application/json");
            var response = await host.Client.PostAsync(new Uri("api/event", UriKind.Relative), content);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        // The worker's logs reach the host asynchronously: wait for the first, then count.
        const string Throttled = "Vonage__SignatureSecret is not set (logged once a minute)";
        int Count() => host.Log.Split(Environment.NewLine).Count(l => l.Contains(Throttled, StringComparison.Ordinal));
        for (var wait = 0; wait < 100 && Count() == 0; wait++)
        {
            await Task.Delay(100);
        }

        await Task.Delay(500);
        var minutesSinceStart = (int)(DateTimeOffset.UtcNow - host.CreatedAt).TotalMinutes;
        Assert.InRange(Count(), 1, 1 + minutesSinceStart);
        // The start-up error is logged outside any invocation, which the host drops (as the real host does):
        // health is where a deployment says what it lacks.
        Assert.DoesNotContain(host.Log.Split(Environment.NewLine),
            l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("App setting Vonage__SignatureSecret is missing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Everything_that_needs_no_missing_secret_keeps_working()
    {
        var campaigns = await host.Client.GetAsync(new Uri("api/campaigns", UriKind.Relative));
        var stats = await host.Client.GetAsync(new Uri("api/stats", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, campaigns.StatusCode);
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        Assert.Contains(host.Host.Functions, f => f.Name == "ProcessCompletedCall");
    }
}

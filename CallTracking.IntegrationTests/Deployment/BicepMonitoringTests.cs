using System.Text.Json;
using System.Text.RegularExpressions;
using CallTracking.Functions.Common;
using CallTracking.Functions.Functions;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CallTracking.Tests.Deployment;

/// <summary>infra/main.bicep evaluated offline without an alert e-mail (azd's defaults) and with one and a daily cap.</summary>
public sealed class BicepMonitoringFixture : IAsyncLifetime
{
    public const string AlertEmail = "oncall@example.com";

    public JsonElement Defaults { get; private set; }

    public JsonElement Alerting { get; private set; }

    public async Task InitializeAsync()
    {
        // One after the other: each run is a 120 MB native process, and the machine is small.
        Defaults = await BicepAppSettings.TemplateSnapshotAsync(BicepScaleFixture.Minimal);
        Alerting = await BicepAppSettings.TemplateSnapshotAsync(new Dictionary<string, object>(BicepScaleFixture.Minimal)
        {
            ["alertEmail"] = AlertEmail,
            ["logAnalyticsDailyCapGb"] = 5,
        });
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// Monitoring as deployed: alerts on what the app and the Functions host log, an availability test of /api/health,
/// an e-mail action group only when an address is given, diagnostic settings and the workspace's daily cap.
/// </summary>
[Collection(BicepCollection.Name)]
public partial class BicepMonitoringTests(BicepMonitoringFixture bicep) : IClassFixture<BicepMonitoringFixture>
{
    private const string LogAlertType = "Microsoft.Insights/scheduledQueryRules";
    private const string MetricAlertType = "Microsoft.Insights/metricAlerts";

    private static readonly string[] LogAlertNames =
        ["alert-answer-fallback", "alert-log-daily-cap", "alert-poison-message", "alert-sink-failing", "alert-worker-start"];

    private static IEnumerable<JsonElement> Resources(JsonElement snapshot, string type) =>
        snapshot.GetProperty("predictedResources").EnumerateArray().Where(r => r.GetProperty("type").GetString() == type);

    private static string Query(JsonElement snapshot, string alert) =>
        Resources(snapshot, LogAlertType).Single(r => r.GetProperty("name").GetString() == alert)
            .GetProperty("properties").GetProperty("criteria").GetProperty("allOf")[0].GetProperty("query").GetString()!;

    [Fact]
    public void Without_an_alert_email_there_is_no_action_group_and_every_alert_still_fires()
    {
        Assert.Empty(Resources(bicep.Defaults, "Microsoft.Insights/actionGroups"));

        var logAlerts = Resources(bicep.Defaults, LogAlertType).ToList();
        Assert.Equal(LogAlertNames, logAlerts.Select(a => a.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
        Assert.All(logAlerts, alert =>
        {
            var properties = alert.GetProperty("properties");
            Assert.True(properties.GetProperty("enabled").GetBoolean());
            Assert.Equal(0, properties.GetProperty("actions").GetProperty("actionGroups").GetArrayLength());
        });
        var availability = Assert.Single(Resources(bicep.Defaults, MetricAlertType)).GetProperty("properties");
        Assert.True(availability.GetProperty("enabled").GetBoolean());
        Assert.Equal(0, availability.GetProperty("actions").GetArrayLength());
    }

    [Fact]
    public void With_an_alert_email_one_action_group_mails_it_and_every_alert_notifies_it()
    {
        var group = Assert.Single(Resources(bicep.Alerting, "Microsoft.Insights/actionGroups"));
        var receiver = Assert.Single(group.GetProperty("properties").GetProperty("emailReceivers").EnumerateArray());
        Assert.Equal(BicepMonitoringFixture.AlertEmail, receiver.GetProperty("emailAddress").GetString());
        Assert.True(group.GetProperty("properties").GetProperty("enabled").GetBoolean());
        var groupId = group.GetProperty("id").GetString();

        var logAlerts = Resources(bicep.Alerting, LogAlertType).ToList();
        Assert.Equal(LogAlertNames.Length, logAlerts.Count);
        Assert.All(logAlerts, alert => Assert.Equal(
            [groupId], alert.GetProperty("properties").GetProperty("actions").GetProperty("actionGroups").EnumerateArray().Select(g => g.GetString())));
        var availability = Assert.Single(Resources(bicep.Alerting, MetricAlertType));
        Assert.Equal(
            [groupId], availability.GetProperty("properties").GetProperty("actions").EnumerateArray().Select(a => a.GetProperty("actionGroupId").GetString()));
    }

    [Fact]
    public void The_availability_test_gets_api_health_and_passes_only_on_status_ok()
    {
        var test = Assert.Single(Resources(bicep.Defaults, "Microsoft.Insights/webtests"));
        var properties = test.GetProperty("properties");
        var appInsights = BicepAppSettings.SingleResource(bicep.Defaults, "Microsoft.Insights/components").GetProperty("id").GetString();

        Assert.Equal("standard", properties.GetProperty("Kind").GetString());
        Assert.True(properties.GetProperty("Enabled").GetBoolean());
        // The app's own host name, known once deployed.
        Assert.Equal("https://func-placeholder.azurewebsites.net/api/health",
            DeploymentValues.Evaluate("RequestUrl", properties.GetProperty("Request").GetProperty("RequestUrl").GetString()!));
        Assert.Equal("GET", properties.GetProperty("Request").GetProperty("HttpVerb").GetString());
        Assert.Equal("Resource", test.GetProperty("tags").GetProperty($"hidden-link:{appInsights}").GetString());

        var rules = properties.GetProperty("ValidationRules");
        Assert.Equal(200, rules.GetProperty("ExpectedHttpStatusCode").GetInt32());
        var content = rules.GetProperty("ContentValidation");
        Assert.True(content.GetProperty("PassIfTextFound").GetBoolean());
        Assert.False(content.GetProperty("IgnoreCase").GetBoolean());
        var match = content.GetProperty("ContentMatch").GetString()!;
        // The bodies HealthFunction writes: healthy passes, degraded (still 200) fails.
        Assert.Contains(match, HealthBody(new HealthReport("ok", "1.0.0", null)));
        Assert.DoesNotContain(match, HealthBody(new HealthReport("degraded", "1.0.0", [new SettingProblem("Vonage:SignatureSecret", "missing")])));

        var alert = Assert.Single(Resources(bicep.Defaults, MetricAlertType)).GetProperty("properties");
        var criteria = alert.GetProperty("criteria");
        Assert.Equal("Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria", criteria.GetProperty("odata.type").GetString());
        Assert.Equal(test.GetProperty("id").GetString(), criteria.GetProperty("webTestId").GetString());
        Assert.Equal(appInsights, criteria.GetProperty("componentId").GetString());
        // More than one failing region, fewer than all: one region's network trouble is not an outage.
        Assert.InRange(criteria.GetProperty("failedLocationCount").GetInt32(), 2, properties.GetProperty("Locations").GetArrayLength() - 1);
    }

    private static string HealthBody(HealthReport report) => JsonSerializer.Serialize(report, JsonDefaults.Options);

    [Fact]
    public void Function_app_logs_and_key_vault_audit_events_go_to_log_analytics()
    {
        var workspace = BicepAppSettings.SingleResource(bicep.Defaults, "Microsoft.OperationalInsights/workspaces").GetProperty("id").GetString();
        var settings = Resources(bicep.Defaults, "Microsoft.Insights/diagnosticSettings").ToDictionary(
            s => s.GetProperty("id").GetString()!.Split("/providers/Microsoft.Insights/")[0].Split("/providers/")[1].Split('/')[0],
            s => s.GetProperty("properties"));

        Assert.Equal(["Microsoft.KeyVault", "Microsoft.Web"], settings.Keys.Order(StringComparer.Ordinal));
        Assert.All(settings.Values, s =>
        {
            Assert.Equal(workspace, s.GetProperty("workspaceId").GetString());
            Assert.Equal("Dedicated", s.GetProperty("logAnalyticsDestinationType").GetString());
        });
        Assert.Equal([("allLogs", true)], Logs(settings["Microsoft.Web"]));
        Assert.Equal([("audit", true)], Logs(settings["Microsoft.KeyVault"]));

        static List<(string?, bool)> Logs(JsonElement setting) => setting.GetProperty("logs").EnumerateArray()
            .Select(l => (l.GetProperty("categoryGroup").GetString(), l.GetProperty("enabled").GetBoolean())).ToList();
    }

    [Fact]
    public void The_daily_cap_parameter_caps_the_workspace()
    {
        static int Cap(JsonElement snapshot) => BicepAppSettings.SingleResource(snapshot, "Microsoft.OperationalInsights/workspaces")
            .GetProperty("properties").GetProperty("workspaceCapping").GetProperty("dailyQuotaGb").GetInt32();

        Assert.Equal(1, Cap(bicep.Defaults));
        Assert.Equal(5, Cap(bicep.Alerting));
    }

    [Fact]
    public async Task A_daily_cap_of_zero_is_refused_before_deploying()
    {
        var parameters = new Dictionary<string, object>(BicepScaleFixture.Minimal) { ["logAnalyticsDailyCapGb"] = 0 };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => BicepAppSettings.TemplateSnapshotAsync(parameters));

        Assert.Contains("Error BCP328", error.Message); // below @minValue: a cap of 0 would drop all telemetry
    }

    [Fact]
    public void The_sink_alert_reads_the_forwarders_own_log_messages()
    {
        var query = Query(bicep.Defaults, "alert-sink-failing");
        var sinkOf = new Regex(Verbatim(SinkExtract().Match(query)));
        var failed = new Regex(Verbatim(FailedMatch().Match(query)));

        var messages = LogTemplates("CallTracking.Functions/Forwarding/CallForwarder.cs", "Call {CallId} ")
            .ToDictionary(t => t, t => Format(t, ("CallId", "CON-7f3a"), ("Sink", "mixpanel-people"), ("Attempt", 3), ("Error", "HTTP 503 (Service Unavailable)")));

        // Every delivery outcome the forwarder logs is read, with its sink; only the two failures count as failing.
        Assert.Equal(3, messages.Count);
        Assert.All(messages.Values, m => Assert.Equal("mixpanel-people", sinkOf.Match(m).Groups[1].Value));
        Assert.Equal(
            ["Call {CallId} not delivered to {Sink} (attempt {Attempt}), will retry: {Error}", "Call {CallId} refused by {Sink} for good: {Error}"],
            messages.Where(m => failed.IsMatch(m.Value)).Select(m => m.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_answer_alert_reads_the_answer_paths_fallback_log()
    {
        var query = Query(bicep.Defaults, "alert-answer-fallback");
        var template = Assert.Single(LogTemplates("CallTracking.Functions/CallFlow/AnswerService.cs", "Answering a call to "));
        var message = Format(template, ("TrackingNumber", "+44******0001"), ("Reason", "TimeoutException"));

        var phrase = Assert.Single(ContainsPhrases().Matches(query).Select(m => m.Groups[1].Value).Distinct());
        Assert.Contains(phrase, message);
        // Answer and Fallback are the function names the host reports requests under.
        Assert.Contains("Name == \"Answer\"", query);
        Assert.Contains("Name == \"Fallback\"", query);
    }

    [Theory]
    // Microsoft.Azure.WebJobs.Extensions.Storage.Queues QueueProcessor.CopyMessageToPoisonQueueAsync.
    [InlineData("Message has reached MaxDequeueCount of 20. Moving message to queue 'calls-completed-poison'.", "calls-completed-poison")]
    [InlineData("Message has reached MaxDequeueCount of 20. Moving message to queue 'calls-watchdog-poison'.", "calls-watchdog-poison")]
    public void The_poison_alert_reads_the_hosts_poison_warning_and_names_the_queue(string hostMessage, string queue)
    {
        var query = Query(bicep.Defaults, "alert-poison-message");

        Assert.StartsWith(StartsWithPhrase().Match(query).Groups[1].Value, hostMessage);
        Assert.Equal(queue, new Regex(Verbatim(QueueExtract().Match(query))).Match(hostMessage).Groups[1].Value);
    }

    [Theory]
    // azure-functions-host: RpcFunctionInvocationDispatcher, WebHostRpcWorkerChannelManager, RpcWorkerProcess, WebJobsScriptHostService.
    [InlineData("Failed to start a new language worker for runtime: dotnet-isolated.", true)]
    [InlineData("Failed to start language worker process for runtime: dotnet-isolated. workerId:4b1c", true)]
    [InlineData("Language Worker Process exited. Pid=412.", true)]
    [InlineData("Exceeded language worker restart retry count for runtime:dotnet-isolated. Shutting down and proactively recycling the Functions Host to recover", true)]
    [InlineData("A host error has occurred during startup operation 'a1b2'.", true)]
    [InlineData("Worker process started and initialized.", false)]
    [InlineData("Language Worker Process exited and needs to be restarted.", false)]
    public void The_worker_alert_reads_the_hosts_worker_start_errors(string hostMessage, bool alerts)
    {
        var pattern = new Regex(Verbatim(MatchesRegex().Match(Query(bicep.Defaults, "alert-worker-start"))));

        Assert.Equal(alerts, pattern.IsMatch(hostMessage));
    }

    /// <summary>The string literals of a source file's log calls that start with <paramref name="prefix"/>.</summary>
    private static List<string> LogTemplates(string sourceFile, string prefix) =>
        LogCall().Matches(File.ReadAllText(RepositoryPaths.Combine(sourceFile.Split('/'))))
            .Select(m => m.Groups["template"].Value)
            .Where(t => t.StartsWith(prefix, StringComparison.Ordinal))
            .ToList();

    /// <summary>The message exactly as Microsoft.Extensions.Logging formats the template with these values.</summary>
    private static string Format(string template, params (string Name, object Value)[] values)
    {
        var logs = new CapturedLogs();
        var arguments = Placeholder().Matches(template).Select(p => values.Single(v => v.Name == p.Groups[1].Value).Value).ToArray();
        logs.CreateLogger("test").Log(LogLevel.Warning, template, arguments);
        return Assert.Single(logs.Entries).Message;
    }

    /// <summary>A KQL verbatim string literal's text: <c>@"..."</c>, with <c>""</c> for a quote.</summary>
    private static string Verbatim(Match literal)
    {
        Assert.True(literal.Success, "the query has the expected regular expression");
        return literal.Groups["text"].Value.Replace("\"\"", "\"", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"logger\.Log(?:Information|Warning|Error)\((?:ex, )?""(?<template>[^""]+)""")]
    private static partial Regex LogCall();

    [GeneratedRegex(@"\{(\w+)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex("""Sink = extract\(@"(?<text>(?:[^"]|"")*)", 1""")]
    private static partial Regex SinkExtract();

    [GeneratedRegex(@"Failed = Message matches regex @""(?<text>(?:[^""]|"""")*)""")]
    private static partial Regex FailedMatch();

    [GeneratedRegex("""Queue = extract\(@"(?<text>(?:[^"]|"")*)", 1""")]
    private static partial Regex QueueExtract();

    [GeneratedRegex(@"where Message matches regex @""(?<text>(?:[^""]|"""")*)""")]
    private static partial Regex MatchesRegex();

    [GeneratedRegex(@"contains ""([^""]+)""")]
    private static partial Regex ContainsPhrases();

    [GeneratedRegex(@"Message startswith ""([^""]+)""")]
    private static partial Regex StartsWithPhrase();
}

using System.Text.Json.Nodes;
using CallTracking.Functions.Http;
using CallTracking.Functions.Vonage;
using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Rpc;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.Functions;

/// <summary>The SDK-generated functions.metadata is what the host indexes: routes, methods and auth levels must be right.</summary>
public class FunctionMetadataTests
{
    /// <summary>
    /// Every HTTP function with its auth level. Vonage's webhooks are anonymous (signed JWT); reads take the function
    /// key (what marketers get, in the dashboard); anything that changes routing or re-sends data is admin level,
    /// so it needs the master key.
    /// </summary>
    public static TheoryData<string, string, string, string[]> Expected => new()
    {
        { "Answer", "answer", "Anonymous", ["get", "post"] },
        { "Whisper", "whisper", "Anonymous", ["get", "post"] },
        { "Fallback", "fallback", "Anonymous", ["get", "post"] },
        { "Event", "event", "Anonymous", ["post"] },
        { "Recording", "recording", "Anonymous", ["post"] },
        { "Health", "health", "Anonymous", ["get"] },
        { "Dashboard", "dashboard", "Anonymous", ["get"] },
        { "DashboardAsset", "dashboard/assets/{name}", "Anonymous", ["get"] },
        { "ListCampaigns", "campaigns", "Function", ["get"] },
        { "GetCampaign", "campaigns/{id}", "Function", ["get"] },
        { "CampaignStats", "campaigns/{id}/stats", "Function", ["get"] },
        { "AllCampaignStats", "stats", "Function", ["get"] },
        { "CallRecords", "calls", "Function", ["get"] },
        { "CallRecordsCsv", "calls.csv", "Function", ["get"] },
        { "CallDeliveries", "calls/{id}/deliveries", "Function", ["get"] },
        { "CallRecording", "calls/{id}/recording", "Function", ["get"] },
        { "ExportCallerData", "callers/{number}/data", "Admin", ["get"] },
        { "EraseCallerData", "callers/{number}", "Admin", ["delete"] },
        { "PutCampaign", "campaigns/{id}", "Admin", ["put"] },
        { "DeleteCampaign", "campaigns/{id}", "Admin", ["delete"] },
        { "ImportCampaigns", "campaigns/import", "Admin", ["post"] },
        { "ReplayPoisonedCalls", "ops/replay", "Admin", ["post"] },
        { "RebuildReports", "reports/rebuild", "Admin", ["post"] },
    };

    [Theory]
    [InlineData("ProcessCompletedCall", "calls-completed")]
    [InlineData("CheckStaleCall", "calls-watchdog")]
    [InlineData("ArchiveRecording", "recordings")]
    [InlineData("PurgeExpiredData", "retention")]
    public void Queue_functions_are_triggered_by_their_queue_on_the_storage_connection(string name, string queue)
    {
        var functions = JsonNode.Parse(File.ReadAllText(MetadataPath()))!.AsArray();
        var function = Assert.Single(functions, f => (string?)f!["name"] == name)!;
        var trigger = Assert.Single(function["bindings"]!.AsArray(), b => (string?)b!["type"] == "queueTrigger")!;

        Assert.Equal(queue, (string?)trigger["queueName"]);
        Assert.Equal("AzureWebJobsStorage", (string?)trigger["connection"]);
    }

    [Theory]
    [MemberData(nameof(Expected))]
    public void Lists_the_function_with_its_route_methods_and_auth_level(string name, string route, string authLevel, string[] methods)
    {
        var functions = JsonNode.Parse(File.ReadAllText(MetadataPath()))!.AsArray();
        var function = Assert.Single(functions, f => (string?)f!["name"] == name)!;
        var trigger = Assert.Single(function["bindings"]!.AsArray(), b => (string?)b!["type"] == "httpTrigger")!;

        Assert.Equal(route, (string?)trigger["route"]);
        Assert.Equal(authLevel, (string?)trigger["authLevel"]);
        Assert.Equal(methods, trigger["methods"]!.AsArray().Select(m => (string?)m).Order().ToArray());
    }

    [Fact]
    public void Every_http_function_has_its_auth_level_pinned_above()
    {
        var pinned = Expected.Select(row => (string)row[0]).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(pinned.Order(StringComparer.Ordinal), HttpFunctionNames().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Request_body_limits_name_http_functions()
    {
        var http = HttpFunctionNames().ToHashSet(StringComparer.Ordinal);

        Assert.All(RequestBodyLimits.ByFunction.Keys.Concat(VonageWebhooks.SignedFunctions), name => Assert.Contains(name, http));
    }

    [Fact]
    public void No_function_breaks_a_rule_of_the_Functions_host()
    {
        // Each function as the worker reports it to the host: its bindings as raw JSON strings.
        var functions = JsonNode.Parse(File.ReadAllText(MetadataPath()))!.AsArray().Select(f =>
        {
            var metadata = new RpcFunctionMetadata { Name = (string)f!["name"]!, FunctionId = (string)f["name"]! };
            metadata.RawBindings.AddRange(f["bindings"]!.AsArray().Select(b => b!.ToJsonString()));
            return metadata;
        }).ToArray();

        var index = HostFunctionRules.Index(functions);

        Assert.Empty(index.Errors.Select(e => e.ToString()));
        Assert.Equal(functions.Length, index.Functions.Count);
        Assert.True(functions.Length >= 20, $"only {functions.Length} functions in functions.metadata");
    }

    private static IEnumerable<string> HttpFunctionNames() =>
        JsonNode.Parse(File.ReadAllText(MetadataPath()))!.AsArray()
            .Where(f => f!["bindings"]!.AsArray().Any(b => (string?)b!["type"] == "httpTrigger"))
            .Select(f => (string)f!["name"]!);

    private static string MetadataPath()
    {
        // Test output is .../CallTracking.IntegrationTests/bin/<Configuration>/<tfm>/: read the Functions project's build of the same kind.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = RepositoryPaths.Combine("CallTracking.Functions", "bin", output.Parent!.Name, output.Name, "functions.metadata");
        Assert.True(File.Exists(path), $"No functions.metadata at {path}: build the solution first.");
        return path;
    }
}

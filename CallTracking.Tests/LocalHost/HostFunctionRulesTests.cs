using System.Net;
using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Http;
using CallTracking.LocalHost.Rpc;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace CallTracking.Tests.LocalHost;

/// <summary>The local host refuses what the Functions host refuses, with its message, and loads the other functions.</summary>
public class HostFunctionRulesTests
{
    private const string ReturnHttp = """{"name":"$return","type":"http","direction":"Out"}""";

    [Theory]
    [InlineData("admin")]
    [InlineData("Admin/x")]
    [InlineData("admin/replay")]
    [InlineData("/ADMIN/host/status/")]
    [InlineData("administration")] // the host tests a string prefix, not a first segment
    [InlineData("runtime")]
    [InlineData("Runtime/webhooks/x")]
    public void A_route_in_the_hosts_own_space_is_in_error_and_the_others_load(string route)
    {
        var index = HostFunctionRules.Index([Http("Bad", route, "post"), Http("Good", "ops/replay", "post")]);

        AssertInError(index, "Bad", "The specified route conflicts with one or more built in routes.");
        Assert.Equal(["Good"], index.Functions.Select(f => f.Name));
    }

    [Fact]
    public void Without_a_route_the_function_name_is_the_route_and_is_checked_too()
    {
        var index = HostFunctionRules.Index([Http("AdminReport", route: null), Http("Report", route: " ")]);

        AssertInError(index, "AdminReport", "The specified route conflicts with one or more built in routes.");
        Assert.Equal(["Report"], index.Functions.Select(f => f.Name));
    }

    [Theory]
    [InlineData("ops/admin")]
    [InlineData("ops/replay")]
    [InlineData("api/runtime")]
    public void Admin_or_runtime_after_the_first_characters_is_allowed(string route) =>
        Assert.Empty(HostFunctionRules.Index([Http("Fine", route)]).Errors);

    [Theory]
    [InlineData("1Function")]
    [InlineData("_Function")]
    [InlineData("My Function")]
    [InlineData("Functions.Answer")]
    [InlineData("host")]
    [InlineData("Host")]
    public void An_invalid_function_name_is_in_error(string name)
    {
        var index = HostFunctionRules.Index([Queue(name), Queue("Valid-name_2")]);

        AssertInError(index, name, $"'{name}' is not a valid function name.");
        Assert.Equal(["Valid-name_2"], index.Functions.Select(f => f.Name));
    }

    [Fact]
    public void A_function_name_is_at_most_128_characters()
    {
        var longest = "F" + new string('x', 127);
        var tooLong = longest + "x";

        var index = HostFunctionRules.Index([Queue(longest), Queue(tooLong)]);

        AssertInError(index, tooLong, $"'{tooLong}' is not a valid function name.");
        Assert.Equal([longest], index.Functions.Select(f => f.Name));
    }

    [Fact]
    public void Of_two_functions_with_the_same_route_and_a_common_method_the_first_by_name_loads()
    {
        // Worker order is not the host's order: it validates by name.
        var index = HostFunctionRules.Index([Http("Beta", "/Items/", "get"), Http("Alpha", "items", "get", "post")]);

        AssertInError(index, "Beta", "The route specified conflicts with the route defined by function 'Alpha'.");
        Assert.Equal(["Alpha"], index.Functions.Select(f => f.Name));
    }

    [Fact]
    public void A_function_without_methods_conflicts_with_any_function_on_its_route()
    {
        var index = HostFunctionRules.Index([Http("Any", "items"), Http("Get", "items", "get")]);

        AssertInError(index, "Get", "The route specified conflicts with the route defined by function 'Any'.");
    }

    [Fact]
    public void The_same_route_with_other_methods_or_another_template_does_not_conflict()
    {
        var index = HostFunctionRules.Index(
        [
            Http("GetCampaign", "campaigns/{id}", "get"),
            Http("PutCampaign", "campaigns/{id}", "put"),
            Http("DeleteCampaign", "campaigns/{name}", "get"), // same path, but the host compares templates as text
        ]);

        Assert.Empty(index.Errors);
        Assert.Equal(3, index.Functions.Count);
    }

    [Fact]
    public void Two_http_functions_with_the_same_name_leave_the_second_in_error()
    {
        var index = HostFunctionRules.Index([Http("Twin", "one"), Http("Twin", "two"), Http("Other", "three")]);

        AssertInError(index, "Twin", "The function or proxy name 'Twin' must be unique within the function app.");
        Assert.Equal(["Other", "Twin"], index.Functions.Select(f => f.Name));
        Assert.Equal("one", FunctionCatalog.Parse(Assert.Single(index.Functions, f => f.Name == "Twin")).Http!.Route);
    }

    [Theory]
    [InlineData("The binding name my-req is invalid. Please assign a valid name to the binding.",
        """{"name":"my-req","type":"httpTrigger","direction":"In"}""")]
    [InlineData("The binding name  is invalid. Please assign a valid name to the binding.",
        """{"type":"queueTrigger","direction":"In","queueName":"q"}""")]
    [InlineData("The binding name $Return is invalid. Please assign a valid name to the binding.",
        """{"name":"req","type":"httpTrigger","direction":"In"}""", """{"name":"$Return","type":"http","direction":"Out"}""")]
    [InlineData("$return bindings must specify a direction of 'out'.",
        """{"name":"req","type":"httpTrigger","direction":"In"}""", """{"name":"$return","type":"http","direction":"In"}""")]
    [InlineData("Multiple bindings with name 'Message' discovered. Binding names must be unique.",
        """{"name":"message","type":"queueTrigger","direction":"In","queueName":"q"}""", """{"name":"Message","type":"queue","direction":"Out","queueName":"r"}""")]
    [InlineData("At least one binding must be declared.")]
    [InlineData("No trigger binding specified. A function must have a trigger input binding.",
        """{"name":"output","type":"queue","direction":"Out","queueName":"q"}""", """{"name":"timer","type":"timerTrigger","direction":"Out"}""")]
    [InlineData("Multiple trigger bindings defined. A function can only have a single trigger binding.",
        """{"name":"message","type":"queueTrigger","direction":"In","queueName":"q"}""", """{"name":"timer","type":"timerTrigger","direction":"In"}""")]
    public void A_function_whose_bindings_break_a_rule_is_in_error(string message, params string[] bindings)
    {
        var index = HostFunctionRules.Index([Function("Bad", bindings), Queue("Good")]);

        AssertInError(index, "Bad", message);
        Assert.Equal(["Good"], index.Functions.Select(f => f.Name));
    }

    [Fact]
    public void On_flex_consumption_a_blob_trigger_must_come_from_event_grid()
    {
        var index = HostFunctionRules.Index(
        [
            Function("Polling", """{"name":"blob","type":"blobTrigger","direction":"In","path":"c/{name}"}"""),
            Function("Events", """{"name":"blob","type":"blobTrigger","direction":"In","path":"c/{name}","source":"EventGrid"}"""),
        ]);

        AssertInError(index, "Polling", "The Flex Consumption SKU only supports EventGrid as the source for BlobTrigger functions. "
            + "Please update function 'Polling' to use EventGrid. For more information see https://aka.ms/blob-trigger-eg.");
        Assert.Equal(["Events"], index.Functions.Select(f => f.Name));
    }

    [Fact]
    public async Task A_function_in_error_is_not_served_and_the_others_are()
    {
        var index = HostFunctionRules.Index([Http("ReplayPoisonedCalls", "admin/replay", "post"), Http("Replay", "ops/replay", "post")]);
        var worker = new FakeWorker(_ => FakeWorker.Success(FakeWorker.HttpResult(200, "replayed")));
        await using var frontEnd = await HttpFrontEnd.StartAsync(0, index.Functions.Select(f => FunctionCatalog.Parse(f)).ToArray(), "api",
            worker, null, new FunctionKeys(false, "f", "m"), TimeSpan.FromSeconds(30), NullLoggerFactory.Instance, CancellationToken.None);
        using var client = new HttpClient { BaseAddress = frontEnd.BaseAddress };

        var refused = await client.PostAsync(new Uri("api/admin/replay", UriKind.Relative), null);
        var served = await client.PostAsync(new Uri("api/ops/replay", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Single(worker.Requests);
        Assert.Equal("The 'ReplayPoisonedCalls' function is in error: The specified route conflicts with one or more built in routes.",
            Assert.Single(index.Errors).ToString());
    }

    private static void AssertInError(FunctionIndex index, string name, string message)
    {
        var error = Assert.Single(index.Errors);
        Assert.Equal(name, error.FunctionName);
        Assert.Equal(message, error.Message);
        Assert.Equal($"The '{name}' function is in error: {message}", error.ToString());
    }

    private static RpcFunctionMetadata Http(string name, string? route, params string[] methods)
    {
        var routeProperty = route is null ? "" : $",\"route\":\"{route}\"";
        var methodsProperty = methods.Length == 0 ? "" : $",\"methods\":[{string.Join(',', methods.Select(m => $"\"{m}\""))}]";
        return Function(name, $$"""{"name":"req","type":"httpTrigger","direction":"In","authLevel":"Function"{{methodsProperty}}{{routeProperty}}}""", ReturnHttp);
    }

    private static RpcFunctionMetadata Queue(string name) =>
        Function(name, """{"name":"message","type":"queueTrigger","direction":"In","queueName":"calls","connection":"AzureWebJobsStorage"}""");

    private static RpcFunctionMetadata Function(string name, params string[] rawBindings)
    {
        var metadata = new RpcFunctionMetadata { Name = name, FunctionId = Guid.NewGuid().ToString() };
        metadata.RawBindings.AddRange(rawBindings);
        return metadata;
    }
}

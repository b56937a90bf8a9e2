using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Rpc;
using Xunit;

namespace CallTracking.Tests.LocalHost;

public class FunctionCatalogTests
{
    [Fact]
    public void Http_trigger_route_methods_and_auth_level_come_from_raw_bindings()
    {
        var function = FakeWorker.Function("GetCampaign",
            """{"name":"req","type":"httpTrigger","direction":"In","authLevel":"Function","methods":["get","Post"],"route":"campaigns/{id}"}""",
            """{"name":"$return","type":"http","direction":"Out"}""");

        Assert.Equal("httpTrigger", function.TriggerType);
        Assert.NotNull(function.Http);
        Assert.Equal("req", function.Http!.ParameterName);
        Assert.Equal("campaigns/{id}", function.Http.Route);
        Assert.Equal(["GET", "POST"], function.Http.Methods);
        Assert.Equal(AuthLevel.Function, function.Http.AuthLevel);
        Assert.Equal("$return", function.HttpOutput?.Name);
        Assert.Null(function.Queue);
    }

    [Fact]
    public void Http_trigger_without_route_or_methods_uses_the_function_name_and_any_method()
    {
        var function = FakeWorker.Function("Ping", """{"name":"req","type":"httpTrigger","direction":"In","authLevel":"Anonymous"}""");

        Assert.Equal("Ping", function.Http!.Route);
        Assert.Null(function.Http.Methods);
        Assert.Equal(AuthLevel.Anonymous, function.Http.AuthLevel);
    }

    [Fact]
    public void A_blank_route_is_the_function_name_and_a_route_is_not_resolved_from_app_settings()
    {
        var blank = FakeWorker.Function("Ping", """{"name":"req","type":"httpTrigger","direction":"In","route":" "}""");
        var metadata = new RpcFunctionMetadata { Name = "P", FunctionId = "1" };
        metadata.RawBindings.Add("""{"name":"req","type":"httpTrigger","direction":"In","route":"%Area%/items"}""");

        Assert.Equal("Ping", blank.Http!.Route);
        Assert.Equal("%Area%/items", FunctionCatalog.Parse(metadata, _ => "resolved").Http!.Route);
    }

    [Fact]
    public void Queue_trigger_and_multi_output_bindings_are_read()
    {
        var function = FakeWorker.Function("Process",
            """{"name":"message","type":"queueTrigger","direction":"In","queueName":"calls-completed","connection":"","dataType":"String"}""",
            """{"name":"Http","type":"http","direction":"Out"}""",
            """{"name":"Next","type":"queue","direction":"Out","queueName":"%NextQueue%","connection":"Other"}""");

        Assert.Equal("calls-completed", function.Queue!.QueueName);
        Assert.Equal("message", function.Queue.ParameterName);
        Assert.Equal(FunctionCatalog.DefaultConnection, function.Queue.Connection);
        Assert.False(function.Queue.IsBinary);
        Assert.Equal("Http", function.HttpOutput?.Name);
        var next = Assert.Single(function.QueueOutputs);
        Assert.Equal("Next", next.Name);
        Assert.Equal("%NextQueue%", next.QueueName);
        Assert.Equal("Other", next.Connection);
    }

    [Fact]
    public void Binding_expressions_resolve_from_app_settings()
    {
        var metadata = new RpcFunctionMetadata { Name = "P", FunctionId = "1" };
        metadata.RawBindings.Add("""{"name":"m","type":"queueTrigger","direction":"In","queueName":"%InQueue%-x"}""");

        var function = FunctionCatalog.Parse(metadata, name => name == "InQueue" ? "orders" : null);

        Assert.Equal("orders-x", function.Queue!.QueueName);
    }

    [Theory]
    [InlineData("anonymous", AuthLevel.Anonymous)]
    [InlineData("Admin", AuthLevel.Admin)]
    [InlineData(null, AuthLevel.Function)]
    [InlineData("nonsense", AuthLevel.Function)]
    public void Auth_level_defaults_to_function(string? value, AuthLevel expected) =>
        Assert.Equal(expected, FunctionCatalog.ParseAuthLevel(value));
}

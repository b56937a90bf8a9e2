using System.Net;
using System.Text;
using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Http;
using CallTracking.LocalHost.Rpc;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace CallTracking.Tests.LocalHost;

/// <summary>The HTTP front end over a fake worker: routing, methods, status mapping and keys, through real Kestrel.</summary>
public sealed class HttpTriggerRouterTests : IAsyncLifetime
{
    private static readonly FunctionDescriptor[] Functions =
    [
        FakeWorker.Function("GetCampaign",
            """{"name":"req","type":"httpTrigger","direction":"In","authLevel":"Anonymous","methods":["get"],"route":"campaigns/{id}"}""",
            """{"name":"$return","type":"http","direction":"Out"}"""),
        FakeWorker.Function("ImportCampaigns",
            """{"name":"req","type":"httpTrigger","direction":"In","authLevel":"Function","methods":["post"],"route":"campaigns/import"}""",
            """{"name":"$return","type":"http","direction":"Out"}"""),
        FakeWorker.Function("GetCall",
            """{"name":"req","type":"httpTrigger","direction":"In","authLevel":"Anonymous","methods":["get"],"route":"calls/{n:int}"}""",
            """{"name":"$return","type":"http","direction":"Out"}"""),
        FakeWorker.Function("Purge",
            """{"name":"req","type":"httpTrigger","direction":"In","authLevel":"Admin","methods":["delete"],"route":"purge"}""",
            """{"name":"$return","type":"http","direction":"Out"}"""),
        FakeWorker.Function("Broken",
            """{"name":"req","type":"httpTrigger","direction":"In","authLevel":"Anonymous","route":"broken"}""",
            """{"name":"$return","type":"http","direction":"Out"}"""),
    ];

    private readonly FakeWorker _worker = new(request => request.FunctionId == Functions[4].FunctionId
        ? FakeWorker.Failure("boom")
        : FakeWorker.Success(FakeWorker.HttpResult(200, Name(request), "text/plain")));

    private HttpFrontEnd _open = null!;
    private HttpFrontEnd _locked = null!;
    private readonly FunctionKeys _keys = new(required: true, functionKey: "fkey", masterKey: "mkey");

    public async Task InitializeAsync()
    {
        _open = await HttpFrontEnd.StartAsync(0, Functions, "api", _worker, null, new FunctionKeys(false, "f", "m"),
            TimeSpan.FromSeconds(30), NullLoggerFactory.Instance, CancellationToken.None);
        _locked = await HttpFrontEnd.StartAsync(0, Functions, "api", _worker, null, _keys,
            TimeSpan.FromSeconds(30), NullLoggerFactory.Instance, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _open.DisposeAsync();
        await _locked.DisposeAsync();
    }

    [Fact]
    public async Task Route_parameter_reaches_the_function_in_trigger_metadata()
    {
        using var client = new HttpClient { BaseAddress = _open.BaseAddress };

        var response = await client.GetAsync(new Uri("api/Campaigns/abc-1?x=1", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("GetCampaign", await response.Content.ReadAsStringAsync());
        var request = Assert.Single(_worker.Requests, r => r.FunctionId == Functions[0].FunctionId);
        Assert.Equal("abc-1", request.TriggerMetadata["id"].String);
    }

    [Fact]
    public async Task Literal_segment_wins_over_a_parameter()
    {
        using var client = new HttpClient { BaseAddress = _open.BaseAddress };

        var response = await client.PostAsync(new Uri("api/campaigns/import", UriKind.Relative), new StringContent("[]", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ImportCampaigns", await response.Content.ReadAsStringAsync());
        var request = Assert.Single(_worker.Requests, r => r.FunctionId == Functions[1].FunctionId);
        Assert.Equal("[]", FakeWorker.Utf8(request.InputData[0].Data.Http.Body.Bytes));
    }

    [Fact]
    public async Task Unknown_route_is_404_and_a_failed_constraint_too()
    {
        using var client = new HttpClient { BaseAddress = _open.BaseAddress };

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri("api/nothing-here", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri("api/calls/not-a-number", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri("campaigns/abc", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("api/calls/42", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task Wrong_method_is_405_with_allow_header()
    {
        using var client = new HttpClient { BaseAddress = _open.BaseAddress };

        var response = await client.DeleteAsync(new Uri("api/campaigns/abc", UriKind.Relative));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("GET", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Function_without_methods_accepts_any_method_and_a_failure_is_500()
    {
        using var client = new HttpClient { BaseAddress = _open.BaseAddress };

        var response = await client.PatchAsync(new Uri("api/broken", UriKind.Relative), new StringContent("x"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Single(_worker.Requests, r => r.FunctionId == Functions[4].FunctionId);
    }

    [Fact]
    public async Task Keys_are_not_enforced_by_default_but_are_when_required()
    {
        using var open = new HttpClient { BaseAddress = _open.BaseAddress };
        using var locked = new HttpClient { BaseAddress = _locked.BaseAddress };

        Assert.Equal(HttpStatusCode.OK, (await open.DeleteAsync(new Uri("api/purge", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await locked.PostAsync(new Uri("api/campaigns/import", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await locked.PostAsync(new Uri("api/campaigns/import?code=fkey", UriKind.Relative), null)).StatusCode);
        // Admin level needs the master key; the function key is not enough.
        Assert.Equal(HttpStatusCode.Unauthorized, (await locked.DeleteAsync(new Uri("api/purge?code=fkey", UriKind.Relative))).StatusCode);
        using var admin = new HttpRequestMessage(HttpMethod.Delete, "api/purge");
        admin.Headers.Add("x-functions-key", "mkey");
        Assert.Equal(HttpStatusCode.OK, (await locked.SendAsync(admin)).StatusCode);
        // Anonymous functions stay open.
        Assert.Equal(HttpStatusCode.OK, (await locked.GetAsync(new Uri("api/campaigns/abc", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public void Describe_lists_urls_like_func_start()
    {
        var lines = HttpTriggerRouter.Describe(Functions, "api", new Uri("http://127.0.0.1:7071/")).ToList();

        Assert.Contains("GetCampaign: [GET] http://127.0.0.1:7071/api/campaigns/{id}", lines);
        Assert.Contains("Broken: [ALL] http://127.0.0.1:7071/api/broken", lines);
        Assert.Equal("/campaigns/{id}", HttpTriggerRouter.Pattern("", "/campaigns/{id}"));
    }

    private static string Name(InvocationRequest request) =>
        Functions.First(f => f.FunctionId == request.FunctionId).Name;
}

using System.Text;
using CallTracking.LocalHost.Http;
using CallTracking.LocalHost.Rpc;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace CallTracking.Tests.LocalHost;

public class HttpMappingTests
{
    private static readonly CallTracking.LocalHost.Functions.FunctionDescriptor Campaign = FakeWorker.Function("UpdateCampaign",
        """{"name":"request","type":"httpTrigger","direction":"In","authLevel":"Anonymous","methods":["put"],"route":"campaigns/{id}"}""",
        """{"name":"$return","type":"http","direction":"Out"}""");

    [Fact]
    public async Task Request_becomes_the_rpc_shape_the_isolated_worker_reads()
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = "PUT";
        request.Scheme = "http";
        request.Host = new HostString("127.0.0.1", 7071);
        request.Path = "/api/campaigns/c 1";
        request.QueryString = new QueryString("?to=447700900123&name=a%26b");
        request.Headers["User-Agent"] = "tests";
        request.Headers["X-Multi"] = new Microsoft.Extensions.Primitives.StringValues(["a", "b"]);
        var body = Encoding.UTF8.GetBytes("""{"name":"Spring"}""");
        request.Body = new MemoryStream(body);
        request.ContentLength = body.Length;
        request.RouteValues["id"] = "c 1";

        var invocation = await HttpMapping.CreateInvocationAsync(context, Campaign, CancellationToken.None);

        Assert.Equal(Campaign.FunctionId, invocation.FunctionId);
        Assert.False(string.IsNullOrEmpty(invocation.InvocationId));
        Assert.NotNull(invocation.TraceContext);
        var input = Assert.Single(invocation.InputData);
        Assert.Equal("request", input.Name);
        var http = input.Data.Http;
        Assert.Equal("PUT", http.Method);
        Assert.Equal("http://127.0.0.1:7071/api/campaigns/c%201?to=447700900123&name=a%26b", http.Url);
        // Only nullable_headers are read by the worker; names lower-cased like the real host.
        Assert.Empty(http.Headers);
        Assert.Equal("tests", http.NullableHeaders["user-agent"].Value);
        Assert.Equal("a,b", http.NullableHeaders["x-multi"].Value);
        Assert.Equal(TypedData.DataOneofCase.Bytes, http.Body.DataCase);
        Assert.Equal(body, http.Body.Bytes.ToByteArray());
        // Route values bind to parameters only through trigger metadata, so they must be there.
        Assert.Equal("c 1", invocation.TriggerMetadata["id"].String);
        Assert.Equal("c 1", http.NullableParams["id"].Value);
        Assert.Equal("447700900123", invocation.TriggerMetadata["to"].String);
        Assert.DoesNotContain(invocation.TriggerMetadata.Values, v => v.DataCase is not (TypedData.DataOneofCase.String or TypedData.DataOneofCase.Json));
    }

    [Fact]
    public async Task Request_without_body_sends_no_body_and_a_traceparent_is_passed_on()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Host = new HostString("localhost", 7071);
        context.Request.Path = "/api/health";
        context.Request.Headers["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        var invocation = await HttpMapping.CreateInvocationAsync(context, Campaign, CancellationToken.None);

        Assert.Null(invocation.InputData[0].Data.Http.Body);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", invocation.TraceContext.TraceParent);
    }

    [Fact]
    public async Task A_chunked_body_without_content_length_reaches_the_worker_as_no_body_as_under_the_real_host()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "PUT";
        context.Request.Path = "/api/campaigns/c1";
        context.Request.Headers.TransferEncoding = "chunked";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes("""{"name":"Spring"}"""));

        var invocation = await HttpMapping.CreateInvocationAsync(context, Campaign, CancellationToken.None);

        var http = Assert.Single(invocation.InputData).Data.Http;
        Assert.Null(http.Body);
        Assert.Equal("chunked", http.NullableHeaders["transfer-encoding"].Value);
    }

    [Fact]
    public async Task Response_status_headers_and_body_are_written_back()
    {
        var http = new RpcHttp { StatusCode = "201", Body = new TypedData { Bytes = ByteString.CopyFromUtf8("""{"id":"c1"}""") } };
        http.Headers["Content-Type"] = "application/json; charset=utf-8";
        http.Headers["Location"] = "/api/campaigns/c1";
        http.Cookies.Add(new RpcHttpCookie { Name = "s", Value = "1", HttpOnly = new NullableBool { Value = true } });
        var context = NewResponseContext();

        await HttpMapping.WriteResponseAsync(context.Response, http, CancellationToken.None);

        Assert.Equal(201, context.Response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", context.Response.ContentType);
        Assert.Equal("/api/campaigns/c1", context.Response.Headers.Location.ToString());
        Assert.Contains("s=1", context.Response.Headers.SetCookie.ToString(), StringComparison.Ordinal);
        Assert.Contains("httponly", context.Response.Headers.SetCookie.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("""{"id":"c1"}""", ReadBody(context));
        Assert.Equal(11, context.Response.ContentLength);
    }

    [Fact]
    public async Task Response_without_content_type_gets_text_plain_and_empty_status_means_200()
    {
        var http = new RpcHttp { Body = new TypedData { Bytes = ByteString.CopyFromUtf8("pong") } };
        var context = NewResponseContext();

        await HttpMapping.WriteResponseAsync(context.Response, http, CancellationToken.None);

        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal(HttpMapping.DefaultContentType, context.Response.ContentType);
        Assert.Equal("pong", ReadBody(context));
    }

    [Fact]
    public void Response_is_found_in_the_return_value_or_in_the_output_named_after_the_http_binding()
    {
        var fromReturn = FakeWorker.Success(FakeWorker.HttpResult(200, "r"));
        Assert.Equal("r", FakeWorker.Utf8(HttpMapping.FindResponse(fromReturn, Campaign)!.Body.Bytes));

        var multiOutput = FakeWorker.Function("Import",
            """{"name":"req","type":"httpTrigger","direction":"In","methods":["post"],"route":"import"}""",
            """{"name":"Response","type":"http","direction":"Out"}""",
            """{"name":"Messages","type":"queue","direction":"Out","queueName":"q"}""");
        var response = FakeWorker.Success();
        response.OutputData.Add(new ParameterBinding { Name = "Messages", Data = new TypedData { Json = "[\"a\"]" } });
        response.OutputData.Add(new ParameterBinding { Name = "Response", Data = FakeWorker.HttpResult(202, "accepted") });

        var http = HttpMapping.FindResponse(response, multiOutput);

        Assert.Equal("202", http!.StatusCode);
        Assert.Equal("accepted", FakeWorker.Utf8(http.Body.Bytes));
    }

    private static DefaultHttpContext NewResponseContext()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static string ReadBody(DefaultHttpContext context) => Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
}

using System.Collections.Concurrent;
using System.Text;
using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Rpc;
using CallTracking.LocalHost.Worker;
using Google.Protobuf;

namespace CallTracking.Tests.LocalHost;

/// <summary>Stands in for the worker behind <see cref="IFunctionInvoker"/>: records requests, answers with a delegate.</summary>
internal sealed class FakeWorker(Func<InvocationRequest, InvocationResponse> respond) : IFunctionInvoker
{
    public ConcurrentQueue<InvocationRequest> Requests { get; } = new();

    public Task<InvocationResponse> InvokeAsync(InvocationRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        var response = respond(request);
        response.InvocationId = request.InvocationId;
        return Task.FromResult(response);
    }

    public static InvocationResponse Success(TypedData? returnValue = null) => new()
    {
        Result = new StatusResult { Status = StatusResult.Types.Status.Success },
        ReturnValue = returnValue,
    };

    public static InvocationResponse Failure(string message) => new()
    {
        Result = new StatusResult
        {
            Status = StatusResult.Types.Status.Failure,
            Exception = new RpcException { Message = message, Type = "System.InvalidOperationException", IsUserException = true },
        },
    };

    public static TypedData HttpResult(int status, string body, string? contentType = null)
    {
        var http = new RpcHttp { StatusCode = status.ToString(System.Globalization.CultureInfo.InvariantCulture), Body = new TypedData { Bytes = ByteString.CopyFromUtf8(body) } };
        if (contentType is not null)
        {
            http.Headers["Content-Type"] = contentType;
        }

        return new TypedData { Http = http };
    }

    /// <summary>Metadata as the worker reports it: raw bindings are JSON strings.</summary>
    public static FunctionDescriptor Function(string name, params string[] rawBindings)
    {
        var metadata = new RpcFunctionMetadata { Name = name, FunctionId = name.GetHashCode().ToString(System.Globalization.CultureInfo.InvariantCulture) };
        metadata.RawBindings.AddRange(rawBindings);
        return FunctionCatalog.Parse(metadata);
    }

    public static string Utf8(ByteString bytes) => Encoding.UTF8.GetString(bytes.Span);
}

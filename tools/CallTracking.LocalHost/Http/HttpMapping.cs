using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Rpc;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Net.Http.Headers;
using SameSiteMode = Microsoft.AspNetCore.Http.SameSiteMode;

namespace CallTracking.LocalHost.Http;

/// <summary>
/// HTTP request ⇄ <see cref="RpcHttp"/>, shaped the way the .NET isolated worker 2.x reads and writes it:
/// an absolute url (the worker parses the query from it), headers only in <c>nullable_headers</c>, the body
/// only as bytes, route values (and query values) in trigger metadata (binding by parameter name); and back:
/// a string status code, headers in the plain map, a bytes body, and the response found in the return value
/// or in the output named after the function's http output binding.
/// </summary>
public static class HttpMapping
{
    public const string DefaultContentType = "text/plain; charset=utf-8";

    // Header names are lower-cased as the real host does; caching them keeps that free of allocations.
    private static readonly ConcurrentDictionary<string, string> LowerCaseNames = new(StringComparer.Ordinal);

    public static async ValueTask<InvocationRequest> CreateInvocationAsync(HttpContext context, FunctionDescriptor function,
        CancellationToken cancellationToken)
    {
        var request = context.Request;
        var http = new RpcHttp
        {
            Method = request.Method,
            Url = UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path, request.QueryString),
        };

        foreach (var header in request.Headers)
        {
            http.NullableHeaders.Add(LowerCase(header.Key), new NullableString { Value = header.Value.ToString() });
        }

        var body = await ReadBodyAsync(request, cancellationToken);
        if (body is not null)
        {
            http.Body = new TypedData { Bytes = body };
        }

        var invocation = new InvocationRequest
        {
            InvocationId = Guid.NewGuid().ToString(),
            FunctionId = function.FunctionId,
            TraceContext = new RpcTraceContext(),
        };

        if (request.Headers.TryGetValue("traceparent", out var traceParent))
        {
            invocation.TraceContext.TraceParent = traceParent.ToString();
        }

        // Query values first so that route values win, as on the real host.
        foreach (var pair in request.Query)
        {
            invocation.TriggerMetadata[pair.Key] = new TypedData { String = pair.Value.ToString() };
        }

        foreach (var pair in request.RouteValues)
        {
            var value = Convert.ToString(pair.Value, CultureInfo.InvariantCulture);
            if (value is null)
            {
                continue;
            }

            http.NullableParams[pair.Key] = new NullableString { Value = value };
            invocation.TriggerMetadata[pair.Key] = new TypedData { String = value };
        }

        invocation.InputData.Add(new ParameterBinding
        {
            Name = function.Http?.ParameterName ?? "req",
            Data = new TypedData { Http = http },
        });
        return invocation;
    }

    /// <summary>The HTTP response of an invocation: <c>$return</c>, or the output named after the http binding.</summary>
    public static RpcHttp? FindResponse(InvocationResponse response, FunctionDescriptor function)
    {
        var name = function.HttpOutput?.Name ?? OutputBinding.ReturnName;
        if (name == OutputBinding.ReturnName)
        {
            return response.ReturnValue?.Http;
        }

        foreach (var output in response.OutputData)
        {
            if (output.Name == name)
            {
                return output.Data?.Http;
            }
        }

        return response.ReturnValue?.Http;
    }

    public static async Task WriteResponseAsync(HttpResponse response, RpcHttp? http, CancellationToken cancellationToken)
    {
        if (http is null)
        {
            // The function produced no response object.
            response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        response.StatusCode = int.TryParse(http.StatusCode, NumberStyles.Integer, CultureInfo.InvariantCulture, out var status)
            ? status
            : StatusCodes.Status200OK;

        foreach (var header in http.Headers)
        {
            if (header.Key.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)
                || header.Key.Equals(HeaderNames.TransferEncoding, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            response.Headers.Append(header.Key, header.Value);
        }

        foreach (var cookie in http.Cookies)
        {
            response.Cookies.Append(cookie.Name, cookie.Value, ToCookieOptions(cookie));
        }

        var body = BodyBytes(http.Body);
        if (body.IsEmpty)
        {
            response.ContentLength = 0;
            return;
        }

        if (string.IsNullOrEmpty(response.ContentType))
        {
            // WriteStringAsync sets no content type; pick what the Functions host would send.
            response.ContentType = DefaultContentType;
        }

        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, cancellationToken);
    }

    private static ReadOnlyMemory<byte> BodyBytes(TypedData? body) => body?.DataCase switch
    {
        TypedData.DataOneofCase.Bytes => body.Bytes.Memory,
        TypedData.DataOneofCase.Stream => body.Stream.Memory,
        TypedData.DataOneofCase.String => Encoding.UTF8.GetBytes(body.String),
        TypedData.DataOneofCase.Json => Encoding.UTF8.GetBytes(body.Json),
        _ => ReadOnlyMemory<byte>.Empty,
    };

    private static CookieOptions ToCookieOptions(RpcHttpCookie cookie)
    {
        var options = new CookieOptions
        {
            Domain = cookie.Domain?.Value,
            Path = cookie.Path?.Value,
            Secure = cookie.Secure?.Value ?? false,
            HttpOnly = cookie.HttpOnly?.Value ?? false,
            SameSite = cookie.SameSite switch
            {
                RpcHttpCookie.Types.SameSite.Lax => SameSiteMode.Lax,
                RpcHttpCookie.Types.SameSite.Strict => SameSiteMode.Strict,
                RpcHttpCookie.Types.SameSite.ExplicitNone => SameSiteMode.None,
                _ => SameSiteMode.Unspecified,
            },
        };
        if (cookie.MaxAge is { } maxAge)
        {
            options.MaxAge = TimeSpan.FromSeconds(maxAge.Value);
        }

        return options;
    }

    /// <summary>
    /// As the real host (GrpcMessageConversionExtensions.ToRpcHttp: <c>request.ContentLength &gt; 0</c>), only a body
    /// with a Content-Length reaches the worker: a chunked body arrives as no body at all, in Azure as here.
    /// </summary>
    private static async ValueTask<ByteString?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is not { } length || length <= 0)
        {
            return null;
        }

        var buffer = new byte[length];
        await request.Body.ReadExactlyAsync(buffer, cancellationToken);
        // The buffer is ours alone from here on, so protobuf may use it without a copy.
        return UnsafeByteOperations.UnsafeWrap(buffer);
    }

    private static string LowerCase(string name)
    {
        if (LowerCaseNames.TryGetValue(name, out var lower))
        {
            return lower;
        }

        lower = name.ToLowerInvariant();
        if (LowerCaseNames.Count < 512)
        {
            LowerCaseNames.TryAdd(name, lower);
        }

        return lower;
    }
}

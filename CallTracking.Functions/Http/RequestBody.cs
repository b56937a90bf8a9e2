using System.Buffers;
using System.Globalization;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Http;

/// <summary>
/// The one reader of request bodies: bounded by the function's <see cref="RequestBodyLimits"/>, read once per
/// invocation and shared through <c>FunctionContext.Items</c>, so the Vonage signature middleware hashes exactly the
/// bytes the function then parses.
/// </summary>
public static class RequestBody
{
    private const string ItemKey = "CallTracking.Http.RequestBody";
    private const int FirstChunkBytes = 4096;

    /// <summary>The body's bytes (empty when there is none).</summary>
    /// <exception cref="RequestBodyTooLargeException">
    /// The body exceeds the function's limit. Known from <c>Content-Length</c> or the stream's length, nothing is
    /// read; otherwise reading stops at the first byte over the limit.
    /// </exception>
    public static async ValueTask<ReadOnlyMemory<byte>> ReadAsync(HttpRequestData request, CancellationToken cancellationToken = default)
    {
        var context = request.FunctionContext;
        if (context.Items.TryGetValue(ItemKey, out var cached) && cached is byte[] bytes)
        {
            return bytes;
        }

        var limit = RequestBodyLimits.For(context.FunctionDefinition.Name);
        if (DeclaredLength(request) > limit)
        {
            throw new RequestBodyTooLargeException(limit);
        }

        var body = await ReadAtMostAsync(request.Body, limit, cancellationToken);
        context.Items[ItemKey] = body;
        return body;
    }

    private static long DeclaredLength(HttpRequestData request)
    {
        if (request.Body.CanSeek)
        {
            return request.Body.Length - request.Body.Position;
        }

        return request.Headers.TryGetValues("Content-Length", out var values)
               && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            ? length
            : 0;
    }

    private static async Task<byte[]> ReadAtMostAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        // One byte beyond the limit is enough to know the body is too large; nothing more is ever buffered.
        var capacity = limit + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(FirstChunkBytes, capacity));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, capacity));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, capacity) - length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    throw new RequestBodyTooLargeException(limit);
                }
            }

            if (stream.CanSeek)
            {
                stream.Position = 0; // leave the stream as we found it for any other reader
            }

            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>A request body over its function's limit; answered with 413 (<see cref="HttpProblemMiddleware"/>).</summary>
public sealed class RequestBodyTooLargeException(int limit)
    : Exception($"The request body exceeds {limit.ToString(CultureInfo.InvariantCulture)} bytes.")
{
    public int Limit { get; } = limit;
}

/// <summary>
/// A request body that is not the JSON its function reads; answered with 400 naming <c>$</c>. Its own type, not
/// <see cref="System.Text.Json.JsonException"/>: that also comes from corrupt stored rows, which are our failures.
/// </summary>
public sealed class MalformedJsonException(string message, Exception? innerException = null) : Exception(message, innerException);

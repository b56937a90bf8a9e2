using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Vonage;

/// <summary>
/// The raw request body of a Vonage webhook, read once and shared through <see cref="FunctionContext.Items"/>:
/// the signature middleware hashes exactly the bytes the function then parses. (The isolated worker's gRPC request
/// body is a seekable MemoryStream today, but the function does not rely on that: it takes the buffered bytes.)
/// </summary>
public static class VonageWebhookBody
{
    /// <summary>Vonage payloads are a few hundred bytes; anything far larger is not a Vonage webhook.</summary>
    public const int MaxBytes = 256 * 1024;

    private const string ItemKey = "CallTracking.Vonage.RawBody";

    /// <summary>The body bytes, buffered on first use; null when the body is larger than <see cref="MaxBytes"/>.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequestData request, CancellationToken cancellationToken = default)
    {
        var items = request.FunctionContext.Items;
        if (items.TryGetValue(ItemKey, out var cached) && cached is byte[] bytes)
        {
            return bytes;
        }

        var body = await ReadLimitedAsync(request.Body, cancellationToken);
        if (body is not null)
        {
            items[ItemKey] = body;
        }

        return body;
    }

    private static async Task<byte[]?> ReadLimitedAsync(Stream stream, CancellationToken cancellationToken)
    {
        if (stream.CanSeek)
        {
            if (stream.Length - stream.Position > MaxBytes)
            {
                return null;
            }
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        if (stream.CanSeek)
        {
            stream.Position = 0; // leave the stream as we found it for any other reader
        }

        return buffer.ToArray();
    }
}

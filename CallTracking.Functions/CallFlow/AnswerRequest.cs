using System.Text.Json;
using CallTracking.Functions.Http;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.CallFlow;

/// <summary>The answer (and fallback) webhook fields we use; Vonage sends more, which we ignore.</summary>
public sealed record AnswerRequest(string? To, string? From, string? Uuid, string? ConversationUuid, string? RegionUrl = null)
{
    public static readonly AnswerRequest Empty = new(null, null, null, null);

    /// <summary>
    /// The webhook's fields: from the query on GET, from the JSON body on POST (some senders put them in the query
    /// even on POST; an empty body means exactly that).
    /// </summary>
    /// <exception cref="MalformedJsonException">A POST body that is not a JSON object.</exception>
    /// <exception cref="RequestBodyTooLargeException">The body exceeds the webhook's limit.</exception>
    public static async Task<AnswerRequest> ReadAsync(HttpRequestData request, CancellationToken cancellationToken = default)
    {
        if (!string.Equals(request.Method, "POST", StringComparison.OrdinalIgnoreCase))
        {
            return FromQuery(request.Url.Query);
        }

        var body = await RequestBody.ReadAsync(request, cancellationToken);
        if (body.IsEmpty)
        {
            return FromQuery(request.Url.Query);
        }

        try
        {
            return FromJson(body.Span);
        }
        catch (JsonException ex)
        {
            throw new MalformedJsonException("The body must be a JSON object with the answer webhook's fields.", ex);
        }
    }

    /// <summary>The same for the fallback, which answers whatever it gets: an unreadable body reads as no fields.</summary>
    /// <exception cref="RequestBodyTooLargeException">The body exceeds the webhook's limit.</exception>
    public static async Task<AnswerRequest> ReadOrEmptyAsync(HttpRequestData request, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ReadAsync(request, cancellationToken);
        }
        catch (MalformedJsonException)
        {
            return Empty;
        }
    }

    /// <summary>Reads the GET form: fields in the query string.</summary>
    public static AnswerRequest FromQuery(string? query)
    {
        string? to = null, from = null, uuid = null, conversation = null, region = null;
        var rest = (query ?? "").AsSpan().TrimStart('?');
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf('&');
            var pair = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 1)..];
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }

            var key = pair[..eq];
            var value = pair[(eq + 1)..];
            if (key.SequenceEqual("to"))
            {
                to = Decode(value);
            }
            else if (key.SequenceEqual("from"))
            {
                from = Decode(value);
            }
            else if (key.SequenceEqual("uuid"))
            {
                uuid = Decode(value);
            }
            else if (key.SequenceEqual("conversation_uuid"))
            {
                conversation = Decode(value);
            }
            else if (key.SequenceEqual("region_url"))
            {
                region = Decode(value);
            }
        }

        return new AnswerRequest(to, from, uuid, conversation, region);
    }

    /// <summary>Reads the POST form: a JSON object (non-string values of our fields are ignored).</summary>
    /// <exception cref="JsonException">The body is not JSON.</exception>
    public static AnswerRequest FromJson(ReadOnlySpan<byte> body)
    {
        string? to = null, from = null, uuid = null, conversation = null, region = null;
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Expected a JSON object.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals("to"u8) ? 1
                : reader.ValueTextEquals("from"u8) ? 2
                : reader.ValueTextEquals("uuid"u8) ? 3
                : reader.ValueTextEquals("conversation_uuid"u8) ? 4
                : reader.ValueTextEquals("region_url"u8) ? 5
                : 0;
            reader.Read();
            if (field != 0 && reader.TokenType == JsonTokenType.String)
            {
                var value = reader.GetString();
                switch (field)
                {
                    case 1: to = value; break;
                    case 2: from = value; break;
                    case 3: uuid = value; break;
                    case 4: conversation = value; break;
                    default: region = value; break;
                }
            }
            else
            {
                reader.Skip();
            }
        }

        return new AnswerRequest(to, from, uuid, conversation, region);
    }

    private static string Decode(ReadOnlySpan<char> value)
    {
        var text = value.ToString();
        return text.Contains('%', StringComparison.Ordinal) || text.Contains('+', StringComparison.Ordinal)
            ? Uri.UnescapeDataString(text.Replace('+', ' '))
            : text;
    }
}

using System.Text.Json;

namespace CallTracking.Functions.CallFlow;

/// <summary>The answer (and fallback) webhook fields we use; Vonage sends more, which we ignore.</summary>
public sealed record AnswerRequest(string? To, string? From, string? Uuid, string? ConversationUuid)
{
    /// <summary>Reads the GET form: fields in the query string.</summary>
    public static AnswerRequest FromQuery(string? query)
    {
        string? to = null, from = null, uuid = null, conversation = null;
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
        }

        return new AnswerRequest(to, from, uuid, conversation);
    }

    /// <summary>Reads the POST form: a JSON object (non-string values of our fields are ignored).</summary>
    /// <exception cref="JsonException">The body is not JSON.</exception>
    public static AnswerRequest FromJson(ReadOnlySpan<byte> body)
    {
        string? to = null, from = null, uuid = null, conversation = null;
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
                    default: conversation = value; break;
                }
            }
            else
            {
                reader.Skip();
            }
        }

        return new AnswerRequest(to, from, uuid, conversation);
    }

    private static string Decode(ReadOnlySpan<char> value)
    {
        var text = value.ToString();
        return text.Contains('%', StringComparison.Ordinal) || text.Contains('+', StringComparison.Ordinal)
            ? Uri.UnescapeDataString(text.Replace('+', ' '))
            : text;
    }
}

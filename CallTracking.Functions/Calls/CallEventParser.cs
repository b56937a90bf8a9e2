using System.Globalization;
using System.Text.Json;
using CallTracking.Functions.Common;
using CallTracking.Functions.Vonage;

namespace CallTracking.Functions.Calls;

/// <summary>
/// Reads Vonage event and recording webhook bodies. Field names are Vonage's snake_case; numbers are accepted as
/// JSON strings (as Vonage sends them) or numbers, parsed invariantly. Bad input throws a
/// <see cref="ValidationException"/> naming the field.
/// </summary>
public static class CallEventParser
{
    private const int MaxIdLength = 128;

    /// <summary>A payload of the event webhook: every status, and the record/input/transfer/error payloads.</summary>
    /// <param name="isAllowedRecordingUrl">The host rule for <c>recording_url</c>; the app passes <see cref="VonageHosts.IsAllowed(string?)"/>
    /// (Vonage hosts plus the configured Voice API seam), the default is Vonage's hosts only.</param>
    public static VonageEvent ParseEvent(ReadOnlySpan<byte> body, Func<string, bool>? isAllowedRecordingUrl = null)
    {
        using var document = ParseObject(body);
        var root = document.RootElement;
        var status = ReadString(root, "status")?.ToLowerInvariant();
        if (status is not null && (status.Length is 0 or > 32 || !status.All(c => char.IsAsciiLetterLower(c) || c == '_')))
        {
            // Statuses are short snake_case words; anything else is not Vonage (and must not reach a row key).
            throw new ValidationException("status", "is not a valid status");
        }

        var kind = KindOf(root, status);

        var conversationField = kind == VonageEventKind.Transfer && !Has(root, "conversation_uuid") ? "conversation_uuid_to" : "conversation_uuid";
        var conversationUuid = RequireId(root, conversationField);

        string? uuid = null;
        if (kind == VonageEventKind.Status)
        {
            // Machine-detection results name the leg call_uuid instead of uuid.
            uuid = status is "human" or "machine"
                ? RequireId(root, "call_uuid", fallback: "uuid")
                : RequireId(root, "uuid");
        }
        else if (ReadString(root, "uuid") is { Length: > 0 })
        {
            uuid = RequireId(root, "uuid");
        }

        var parsed = Read(root, kind, conversationUuid, uuid, status);
        return kind == VonageEventKind.Record ? Validated(parsed, isAllowedRecordingUrl) : parsed;
    }

    /// <summary>A payload of the recording webhook (the NCCO <c>record</c> action's eventUrl).</summary>
    public static VonageEvent ParseRecording(ReadOnlySpan<byte> body, Func<string, bool>? isAllowedRecordingUrl = null)
    {
        using var document = ParseObject(body);
        var root = document.RootElement;
        var conversationUuid = RequireId(root, "conversation_uuid");
        return Validated(Read(root, VonageEventKind.Record, conversationUuid, uuid: null, status: null), isAllowedRecordingUrl);
    }

    /// <summary>A recording payload, from either webhook, is all there and points at Vonage.</summary>
    private static VonageEvent Validated(VonageEvent recording, Func<string, bool>? isAllowedRecordingUrl)
    {
        var errors = new List<FieldError>();
        if (recording.RecordingUrl is null)
        {
            errors.Add(new FieldError("recording_url", "is required"));
        }
        else if (!(isAllowedRecordingUrl ?? VonageHosts.IsVonageApiUrl)(recording.RecordingUrl))
        {
            errors.Add(new FieldError("recording_url", "must be an https URL on a Vonage API host (*.nexmo.com or *.vonage.com)"));
        }

        if (string.IsNullOrEmpty(recording.RecordingUuid))
        {
            errors.Add(new FieldError("recording_uuid", "is required"));
        }
        else if (!IsSafeId(recording.RecordingUuid))
        {
            errors.Add(new FieldError("recording_uuid", "is not a valid id"));
        }

        if (recording.RecordingSizeBytes is < 0)
        {
            errors.Add(new FieldError("size", "must not be negative"));
        }

        return errors.Count > 0 ? throw new ValidationException(errors) : recording;
    }

    private static VonageEvent Read(JsonElement root, VonageEventKind kind, string conversationUuid, string? uuid, string? status)
    {
        var duration = ReadNumber(root, "duration");
        var size = ReadNumber(root, "size");
        return new VonageEvent
        {
            Kind = kind,
            ConversationUuid = conversationUuid,
            Uuid = uuid,
            Status = status,
            Direction = ReadString(root, "direction")?.ToLowerInvariant(),
            From = ReadString(root, "from"),
            To = ReadString(root, "to"),
            Timestamp = ReadTime(root, "timestamp"),
            StartTime = ReadTime(root, "start_time"),
            EndTime = ReadTime(root, "end_time"),
            DurationSeconds = duration is null ? null : checked((int)Math.Round(duration.Value, MidpointRounding.AwayFromZero)),
            Price = ReadNumber(root, "price"),
            Rate = ReadNumber(root, "rate"),
            Network = ReadString(root, "network"),
            Detail = ReadString(root, "detail"),
            RecordingUrl = ReadString(root, "recording_url"),
            RecordingUuid = ReadString(root, "recording_uuid"),
            RecordingSizeBytes = size is null ? null : checked((long)size.Value),
        };
    }

    private static VonageEventKind KindOf(JsonElement root, string? status)
    {
        if (status is not null)
        {
            return VonageEventKind.Status;
        }

        if (Has(root, "recording_url"))
        {
            return VonageEventKind.Record;
        }

        if (Has(root, "dtmf") || Has(root, "speech"))
        {
            return VonageEventKind.Input;
        }

        if (Has(root, "conversation_uuid_from") || Has(root, "conversation_uuid_to"))
        {
            return VonageEventKind.Transfer;
        }

        return Has(root, "reason") ? VonageEventKind.Error : VonageEventKind.Other;
    }

    private static JsonDocument ParseObject(ReadOnlySpan<byte> body)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 16 });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            throw new ValidationException("body", "is not valid JSON");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new ValidationException("body", "must be a JSON object");
        }

        return document;
    }

    private static bool Has(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined);

    private static string RequireId(JsonElement root, string name, string? fallback = null)
    {
        if (root.TryGetProperty(name, out var raw) && raw.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
        {
            throw new ValidationException(name, "must be a string"); // Vonage's ids are always strings
        }

        var value = ReadString(root, name);
        if (string.IsNullOrEmpty(value) && fallback is not null)
        {
            value = ReadString(root, fallback);
        }

        if (string.IsNullOrEmpty(value))
        {
            throw new ValidationException(name, "is required");
        }

        // Ids become table keys: keep them to characters Table Storage accepts in PartitionKey/RowKey.
        return IsSafeId(value) ? value : throw new ValidationException(name, "is not a valid id");
    }

    private static bool IsSafeId(string value) =>
        value.Length <= MaxIdLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');

    private static string? ReadString(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => ReadText(value, name) is { Length: > 0 } text ? text : null,
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            JsonValueKind.Null => null,
            _ => throw new ValidationException(name, "must be a string"),
        };
    }

    private static string? ReadText(JsonElement value, string name)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            throw new ValidationException(name, "is not valid text"); // e.g. a lone surrogate escape
        }
    }

    private static double? ReadNumber(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return null;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.Number when value.TryGetDouble(out var number) && double.IsFinite(number) && Math.Abs(number) < 1e12:
                return number;
            case JsonValueKind.String:
                var text = ReadText(value, name);
                if (string.IsNullOrWhiteSpace(text))
                {
                    return null;
                }

                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed)
                    && Math.Abs(parsed) < 1e12)
                {
                    return parsed;
                }

                break;
        }

        throw new ValidationException(name, "must be a number");
    }

    private static DateTimeOffset? ReadTime(JsonElement root, string name)
    {
        var text = ReadString(root, name);
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw new ValidationException(name, "must be an ISO-8601 time");
    }
}

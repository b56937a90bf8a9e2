using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CallTracking.Functions.CallFlow;

/// <summary>
/// Writes NCCO actions (Vonage Call Control Objects) with <see cref="Utf8JsonWriter"/> into a per-thread reused
/// buffer: one exact-size byte array is the only allocation per NCCO. Property names are pre-encoded.
/// </summary>
public static class NccoWriter
{
    private static readonly JsonEncodedText Action = JsonEncodedText.Encode("action");
    private static readonly JsonEncodedText Talk = JsonEncodedText.Encode("talk");
    private static readonly JsonEncodedText Text = JsonEncodedText.Encode("text");
    private static readonly JsonEncodedText Language = JsonEncodedText.Encode("language");
    private static readonly JsonEncodedText Stream = JsonEncodedText.Encode("stream");
    private static readonly JsonEncodedText StreamUrl = JsonEncodedText.Encode("streamUrl");
    private static readonly JsonEncodedText Record = JsonEncodedText.Encode("record");
    private static readonly JsonEncodedText EventUrl = JsonEncodedText.Encode("eventUrl");
    private static readonly JsonEncodedText BeepStart = JsonEncodedText.Encode("beepStart");
    private static readonly JsonEncodedText EndOnKey = JsonEncodedText.Encode("endOnKey");
    private static readonly JsonEncodedText Hash = JsonEncodedText.Encode("#");
    private static readonly JsonEncodedText TimeOut = JsonEncodedText.Encode("timeOut");
    private static readonly JsonEncodedText Connect = JsonEncodedText.Encode("connect");
    private static readonly JsonEncodedText From = JsonEncodedText.Encode("from");
    private static readonly JsonEncodedText Timeout = JsonEncodedText.Encode("timeout");
    private static readonly JsonEncodedText Endpoint = JsonEncodedText.Encode("endpoint");
    private static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText Phone = JsonEncodedText.Encode("phone");
    private static readonly JsonEncodedText Number = JsonEncodedText.Encode("number");
    private static readonly JsonEncodedText OnAnswer = JsonEncodedText.Encode("onAnswer");
    private static readonly JsonEncodedText Url = JsonEncodedText.Encode("url");
    private static readonly JsonEncodedText EventType = JsonEncodedText.Encode("eventType");
    private static readonly JsonEncodedText Synchronous = JsonEncodedText.Encode("synchronous");
    private static readonly JsonEncodedText Loop = JsonEncodedText.Encode("loop");

    /// <summary>Voicemail length limit, seconds.</summary>
    public const int VoicemailMaxSeconds = 300;

    [ThreadStatic]
    private static Buffer? t_buffer;

    /// <summary>
    /// This thread's writer, reset and positioned before the NCCO's opening '['. Use it synchronously and end
    /// with <see cref="Finish"/> on the same thread.
    /// </summary>
    public static Utf8JsonWriter Start()
    {
        var buffer = t_buffer ??= new Buffer();
        buffer.Output.ResetWrittenCount();
        buffer.Writer.Reset(buffer.Output);
        buffer.Writer.WriteStartArray();
        return buffer.Writer;
    }

    /// <summary>Closes the NCCO array and returns its bytes.</summary>
    public static byte[] Finish(Utf8JsonWriter writer)
    {
        writer.WriteEndArray();
        writer.Flush();
        return t_buffer!.Output.WrittenSpan.ToArray();
    }

    public static void WriteTalk(Utf8JsonWriter w, JsonEncodedText text, JsonEncodedText? language = null)
    {
        w.WriteStartObject();
        w.WriteString(Action, Talk);
        w.WriteString(Text, text);
        if (language is { } lang)
        {
            w.WriteString(Language, lang);
        }

        w.WriteEndObject();
    }

    public static void WriteStream(Utf8JsonWriter w, JsonEncodedText url, bool loopForever = false)
    {
        w.WriteStartObject();
        w.WriteString(Action, Stream);
        w.WriteStartArray(StreamUrl);
        w.WriteStringValue(url);
        w.WriteEndArray();
        if (loopForever)
        {
            w.WriteNumber(Loop, 0);
        }

        w.WriteEndObject();
    }

    /// <summary>Records the whole conversation in the background while the rest of the NCCO runs.</summary>
    public static void WriteRecord(Utf8JsonWriter w, CallbackUrls urls)
    {
        w.WriteStartObject();
        w.WriteString(Action, Record);
        WriteUrlArray(w, EventUrl, urls.Recording);
        w.WriteEndObject();
    }

    /// <summary>A voicemail: beep, record until '#' (or the limit), report to the recording webhook.</summary>
    public static void WriteVoicemail(Utf8JsonWriter w, CallbackUrls urls) => WriteVoicemailOrRecord(w, urls.Recording, voicemail: true);

    /// <summary>
    /// A voicemail, or the background recording of the whole conversation, reporting to <paramref name="recordingUrl"/>
    /// (e.g. with the call it belongs to in the query).
    /// </summary>
    public static void WriteVoicemailOrRecord(Utf8JsonWriter w, JsonEncodedText recordingUrl, bool voicemail)
    {
        if (!voicemail)
        {
            w.WriteStartObject();
            w.WriteString(Action, Record);
            WriteUrlArray(w, EventUrl, recordingUrl);
            w.WriteEndObject();
            return;
        }

        w.WriteStartObject();
        w.WriteString(Action, Record);
        w.WriteBoolean(BeepStart, true);
        w.WriteString(EndOnKey, Hash);
        w.WriteNumber(TimeOut, VoicemailMaxSeconds);
        WriteUrlArray(w, EventUrl, recordingUrl);
        w.WriteEndObject();
    }

    /// <summary>
    /// Connects the caller to <paramref name="to"/> (digits), showing <paramref name="from"/> (our tracking number)
    /// as caller id; the new leg's events go to the event webhook. With <paramref name="whisperCampaignQuery"/>,
    /// the agent hears the whisper NCCO before being joined.
    /// </summary>
    public static void WriteConnect(Utf8JsonWriter w, JsonEncodedText? from, ReadOnlySpan<char> fromDigits, JsonEncodedText to,
        int ringTimeoutSeconds, CallbackUrls urls, string? whisperCampaignQuery = null, bool synchronous = false) =>
        WriteConnect(w, from, fromDigits, to, ringTimeoutSeconds, urls.Event, urls.WhisperPrefix, whisperCampaignQuery, synchronous);

    /// <summary>
    /// The same with an explicit event URL. <paramref name="synchronous"/>: a failed connect (busy, timeout, ...) asks the
    /// event webhook for the next NCCO (the hold queue answers it).
    /// </summary>
    public static void WriteConnect(Utf8JsonWriter w, JsonEncodedText? from, ReadOnlySpan<char> fromDigits, JsonEncodedText to,
        int ringTimeoutSeconds, JsonEncodedText eventUrl, string whisperPrefix, string? whisperCampaignQuery, bool synchronous)
    {
        w.WriteStartObject();
        w.WriteString(Action, Connect);
        if (from is { } f)
        {
            w.WriteString(From, f);
        }
        else if (!fromDigits.IsEmpty)
        {
            w.WriteString(From, fromDigits);
        }

        w.WriteNumber(Timeout, ringTimeoutSeconds);
        if (synchronous)
        {
            w.WriteString(EventType, Synchronous);
        }

        WriteUrlArray(w, EventUrl, eventUrl);
        w.WriteStartArray(Endpoint);
        w.WriteStartObject();
        w.WriteString(Type, Phone);
        w.WriteString(Number, to);
        if (whisperCampaignQuery is not null)
        {
            w.WriteStartObject(OnAnswer);
            WriteConcatenated(w, Url, whisperPrefix, whisperCampaignQuery);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteUrlArray(Utf8JsonWriter w, JsonEncodedText name, JsonEncodedText url)
    {
        w.WriteStartArray(name);
        w.WriteStringValue(url);
        w.WriteEndArray();
    }

    private static void WriteConcatenated(Utf8JsonWriter w, JsonEncodedText name, string first, string second)
    {
        var length = first.Length + second.Length;
        var rented = length > 256 ? ArrayPool<char>.Shared.Rent(length) : null;
        Span<char> chars = rented is null ? stackalloc char[256] : rented;
        first.CopyTo(chars);
        second.CopyTo(chars[first.Length..]);
        w.WriteString(name, chars[..length]);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    private sealed class Buffer
    {
        public ArrayBufferWriter<byte> Output { get; } = new(2048);

        public Utf8JsonWriter Writer { get; }

        public Buffer() => Writer = new Utf8JsonWriter(Output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Campaigns;

/// <summary>What an import file held: the campaigns to validate, and what could not even be read.</summary>
public sealed record ImportParseResult(IReadOnlyList<CampaignBatchItem> Items, IReadOnlyList<FieldError> Errors);

/// <summary>
/// Reads an import body in either shape:
/// <list type="bullet">
/// <item>a JSON array of our own campaign objects (errors named <c>[3].agentNumber</c>);</item>
/// <item>the Flask seed's TinyDB file, <c>{"_default": {"1": {"name", "inbound_number", "redirect_number",
/// "welcome_message", "is_active"}}}</c> (errors named <c>_default.1.redirect_number</c>).</item>
/// </list>
/// Seed mapping: the id is a slug of <c>name</c> (deterministic, so re-importing the seed updates rather than
/// duplicates; "-{doc id}" is appended when two names give one slug); <c>welcome_message</c> becomes the
/// recording notice (the seed streamed it to the caller before its <c>record</c> action): an absolute URL is
/// streamed; a bare file name (<c>calls-recorded.mp3</c>) or site path (<c>/static/audio/calls-recorded.mp3</c>) is
/// joined to the audio base URL (<see cref="AudioBase"/>), and refused naming the option when there is none; other
/// text is spoken.
/// The seed recorded every call, so imported seed campaigns have <c>recordCalls</c> on.
/// </summary>
public static class CampaignImport
{
    private static readonly Dictionary<string, string> SeedAliases = new(StringComparer.Ordinal)
    {
        ["id"] = "name",
        ["name"] = "name",
        ["trackingNumber"] = "inbound_number",
        ["agentNumber"] = "redirect_number",
        ["isActive"] = "is_active",
        ["recordingNotice"] = "welcome_message",
        ["recordingNotice.audioUrl"] = "welcome_message",
        ["recordingNotice.text"] = "welcome_message",
        ["recordingNotice.language"] = "welcome_message",
    };

    private static readonly string[] AudioExtensions = [".mp3", ".wav", ".ogg"];

    /// <summary>The fix named in an error about a file name or path that has no base URL to be joined to.</summary>
    public const string AudioBaseHint =
        "pass ?audioBaseUrl=https://your-site/audio/ on the import or set CallTracking__AudioBaseUrl";

    /// <param name="body">The file.</param>
    /// <param name="audioBase">What relative audio names and paths are joined to (<see cref="AudioBase"/>), or null.</param>
    public static ImportParseResult Parse(ReadOnlyMemory<byte> body, Uri? audioBase = null)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            return Failed("$", $"Not valid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            return root.ValueKind switch
            {
                JsonValueKind.Array => ParseOwnShape(root, audioBase),
                JsonValueKind.Object when IsTinyDb(root) => ParseSeed(root, audioBase),
                _ => Failed("$", "Expected a JSON array of campaigns or a TinyDB seed file ({\"_default\": {\"1\": {...}}})."),
            };
        }
    }

    private static ImportParseResult Failed(string field, string message) => new([], [new FieldError(field, message)]);

    private static ImportParseResult ParseOwnShape(JsonElement root, Uri? audioBase)
    {
        var items = new List<CampaignBatchItem>();
        var errors = new List<FieldError>();
        var index = 0;
        foreach (var element in root.EnumerateArray())
        {
            var names = new FieldNames($"[{index}].");
            if (TryRead(element, names, errors, out var input))
            {
                // A relative audioUrl is joined here; without a base the validator names it (and the fix).
                if (audioBase is not null && input?.RecordingNotice?.AudioUrl is { } audio && IsRelativeAudio(audio.Trim()))
                {
                    input = input with { RecordingNotice = input.RecordingNotice with { AudioUrl = Join(audioBase, audio.Trim()) } };
                }

                items.Add(new CampaignBatchItem(input, names));
            }

            index++;
        }

        return new ImportParseResult(items, errors);
    }

    /// <summary>Reads one campaign object, turning a JSON type error into a named field error.</summary>
    internal static bool TryRead(JsonElement element, FieldNames names, List<FieldError> errors, out CampaignInput? input)
    {
        input = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError(names.ItemPath, "A campaign object is required."));
            return false;
        }

        try
        {
            input = element.Deserialize<CampaignInput>(JsonDefaults.Options);
            return true;
        }
        catch (JsonException ex)
        {
            errors.Add(new FieldError(names[FieldFromPath(ex.Path)], "Wrong type: " + FirstSentence(ex.Message)));
            return false;
        }
    }

    /// <summary>"$.businessHours.windows[0].day" → "businessHours.windows[0].day".</summary>
    internal static string FieldFromPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "";
        }

        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }

    private static bool IsTinyDb(JsonElement root)
    {
        var any = false;
        foreach (var table in root.EnumerateObject())
        {
            if (table.Value.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            any = true;
        }

        return any;
    }

    private static ImportParseResult ParseSeed(JsonElement root, Uri? audioBase)
    {
        var items = new List<CampaignBatchItem>();
        var errors = new List<FieldError>();
        var slugs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in root.EnumerateObject())
        {
            foreach (var doc in table.Value.EnumerateObject())
            {
                var names = new FieldNames($"{table.Name}.{doc.Name}.", SeedAliases);
                if (doc.Value.ValueKind != JsonValueKind.Object)
                {
                    errors.Add(new FieldError(names.ItemPath, "A campaign object is required."));
                    continue;
                }

                items.Add(new CampaignBatchItem(ReadSeedDocument(doc.Name, doc.Value, names, slugs, errors, audioBase), names));
            }
        }

        return new ImportParseResult(items, errors);
    }

    /// <summary>
    /// Reads one seed document. Its own errors (a wrong type, an unjoinable audio name) are added, and the rest is
    /// still returned for the validator, so every bad field of the item is named at once.
    /// </summary>
    private static CampaignInput ReadSeedDocument(string docId, JsonElement doc, FieldNames names, HashSet<string> slugs,
        List<FieldError> errors, Uri? audioBase)
    {
        var name = SeedString(doc, "name", names, errors);
        var inbound = SeedString(doc, "inbound_number", names, errors);
        var redirect = SeedString(doc, "redirect_number", names, errors);
        var welcome = SeedString(doc, "welcome_message", names, errors)?.Trim();
        bool? isActive = null;
        if (doc.TryGetProperty("is_active", out var active) && active.ValueKind != JsonValueKind.Null)
        {
            if (active.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                isActive = active.GetBoolean();
            }
            else
            {
                errors.Add(new FieldError(names.Prefix + "is_active", "Must be true or false."));
            }
        }

        RecordingNoticeInput? notice = null;
        if (!string.IsNullOrEmpty(welcome))
        {
            if (CampaignValidator.IsHttpUrl(welcome))
            {
                notice = new RecordingNoticeInput { AudioUrl = welcome };
            }
            else if (IsRelativeAudio(welcome))
            {
                if (audioBase is null)
                {
                    errors.Add(new FieldError(names.Prefix + "welcome_message",
                        $"'{welcome}' is a file name or site path with no base URL to join it to: {AudioBaseHint} (or give an absolute https URL)."));
                }
                else
                {
                    notice = new RecordingNoticeInput { AudioUrl = Join(audioBase, welcome) };
                }
            }
            else
            {
                notice = new RecordingNoticeInput { Text = welcome };
            }
        }

        var slug = Slug(name);
        if (slug.Length == 0)
        {
            slug = Slug("campaign-" + docId);
        }

        if (!slugs.Add(slug))
        {
            slug = Slug(slug[..Math.Min(slug.Length, 50)] + "-" + docId);
            slugs.Add(slug);
        }

        return new CampaignInput
        {
            Id = slug,
            Name = name,
            TrackingNumber = inbound,
            AgentNumber = redirect,
            IsActive = isActive,
            RecordingNotice = notice,
            RecordCalls = true,
        };
    }

    private static string? SeedString(JsonElement doc, string property, FieldNames names, List<FieldError> errors)
    {
        if (!doc.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return value.GetString();
            case JsonValueKind.Number:
                // Numbers saved as JSON numbers (447700900123) are still numbers.
                return value.GetRawText();
            default:
                errors.Add(new FieldError(names.Prefix + property, "Must be a string."));
                return null;
        }
    }

    /// <summary>
    /// A file name or path rather than words to speak: no spaces, and an audio extension or a leading '/'
    /// (<c>calls-recorded.mp3</c>, <c>audio/calls-recorded.mp3</c>, <c>/static/audio/calls-recorded.mp3</c>).
    /// </summary>
    internal static bool IsRelativeAudio(string value) =>
        value.Length > 0 && !value.Contains(' ', StringComparison.Ordinal) && !CampaignValidator.IsHttpUrl(value)
        && (value[0] == '/' || Array.Exists(AudioExtensions, e => value.EndsWith(e, StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// Parses an audio base URL (the import's <c>audioBaseUrl</c> or <c>CallTracking__AudioBaseUrl</c>): absolute
    /// http(s). Its path is a folder: a missing trailing '/' is added, so <c>https://cdn/audio</c> and
    /// <c>https://cdn/audio/</c> both put <c>calls-recorded.mp3</c> under <c>/audio/</c>.
    /// </summary>
    public static Uri? AudioBase(string? value)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text) || !CampaignValidator.IsHttpUrl(text) || text.Contains('?', StringComparison.Ordinal)
            || text.Contains('#', StringComparison.Ordinal))
        {
            return null;
        }

        return new Uri(text.EndsWith('/') ? text : text + "/", UriKind.Absolute);
    }

    /// <summary>
    /// Joins as a browser resolves a link: a name or relative path goes under the base folder, a leading '/' starts
    /// at the host's root (<c>https://cdn/audio/</c> + <c>/static/a.mp3</c> = <c>https://cdn/static/a.mp3</c>).
    /// </summary>
    public static string Join(Uri audioBase, string relative) => new Uri(audioBase, relative).AbsoluteUri;

    /// <summary>"Summer Sale – TV (UK)" → "summer-sale-tv-uk": lower-case ASCII letters and digits, '-' between words, ≤ 64.</summary>
    public static string Slug(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return "";
        }

        var builder = new StringBuilder(Math.Min(text.Length, 64));
        var pendingDash = false;
        foreach (var c in text.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            if (char.IsAsciiLetterOrDigit(c))
            {
                if (pendingDash && builder.Length > 0)
                {
                    builder.Append('-');
                }

                pendingDash = false;
                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                pendingDash = true;
            }

            if (builder.Length >= 64)
            {
                break;
            }
        }

        return builder.ToString(0, Math.Min(builder.Length, 64)).TrimEnd('-');
    }
}

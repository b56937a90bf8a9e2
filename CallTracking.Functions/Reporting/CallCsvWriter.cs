using System.Globalization;
using System.Text;

namespace CallTracking.Functions.Reporting;

/// <summary>
/// Writes call records as RFC 4180 CSV: CRLF line ends, a header row, fields with a comma, quote, CR or LF quoted
/// (quotes doubled), ISO-8601 UTC times, invariant numbers. Spreadsheet formula injection is defused: a text cell
/// starting with = + - @ TAB or CR gets a leading apostrophe (OWASP's advice), so a caller's carrier name or a
/// campaign name cannot run a formula in Excel; plain numbers (E.164 caller numbers, prices) stay as they are.
/// Flushes every <see cref="FlushEvery"/> rows: the writer's own memory stays flat.
/// </summary>
public static class CallCsvWriter
{
    public const string ContentType = "text/csv; charset=utf-8; header=present";
    public const int FlushEvery = 500;

    public static readonly string[] Header =
    [
        "id", "campaign_id", "campaign_name", "to", "from", "status", "start_time", "end_time", "duration",
        "talk_time", "recording_url", "price", "enrichment_cost", "caller_country", "caller_carrier",
        "caller_line_type", "first_time_caller", "hold_time",
    ];

    /// <summary>
    /// The export's <c>fields=</c> (the seed's "select the fields to include"): comma-separated column names of
    /// <see cref="Header"/>, written in the order given, each once. Unknown or repeated names are errors.
    /// </summary>
    public static IReadOnlyList<string> ParseFields(string value, List<Common.FieldError> errors)
    {
        var fields = new List<string>();
        foreach (var raw in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var name = raw.ToLowerInvariant();
            if (Array.IndexOf(Header, name) < 0)
            {
                errors.Add(new Common.FieldError("fields", $"Unknown field '{(raw.Length > 40 ? raw[..40] + "…" : raw)}'; use any of {string.Join(", ", Header)}."));
                return fields;
            }

            if (fields.Contains(name))
            {
                errors.Add(new Common.FieldError("fields", $"'{name}' is listed twice."));
                return fields;
            }

            fields.Add(name);
        }

        if (fields.Count == 0)
        {
            errors.Add(new Common.FieldError("fields", $"List at least one of {string.Join(", ", Header)}."));
        }

        return fields;
    }

    /// <summary>Writes every record (only <paramref name="columns"/>, in that order, when given); returns how many.</summary>
    public static async Task<long> WriteAsync(Stream output, IAsyncEnumerable<CallDetail> records, CancellationToken cancellationToken,
        IReadOnlyList<string>? columns = null)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024, leaveOpen: true);
        writer.NewLine = "\r\n";
        var selected = columns?.Select(c => Array.IndexOf(Header, c)).ToArray();
        var picked = selected is null ? null : new string?[selected.Length];
        WriteRow(writer, columns ?? Header);
        long count = 0;
        var fields = new string?[Header.Length];
        await foreach (var call in records.WithCancellation(cancellationToken))
        {
            fields[0] = call.Id;
            fields[1] = call.CampaignId;
            fields[2] = call.CampaignName;
            fields[3] = call.To;
            fields[4] = call.From;
            fields[5] = CallQuery.CamelCase(call.Status.ToString());
            fields[6] = Iso(call.Start);
            fields[7] = call.End is { } end ? Iso(end) : null;
            fields[8] = call.Duration.ToString(CultureInfo.InvariantCulture);
            fields[9] = call.TalkTime.ToString(CultureInfo.InvariantCulture);
            fields[10] = call.RecordingUrl;
            fields[11] = call.Price.ToString(CultureInfo.InvariantCulture);
            fields[12] = call.EnrichmentCost.ToString(CultureInfo.InvariantCulture);
            fields[13] = call.CallerCountry;
            fields[14] = call.CallerCarrier;
            fields[15] = call.CallerLineType;
            fields[16] = call.FirstTimeCaller ? "true" : "false";
            fields[17] = call.HoldTime.ToString(CultureInfo.InvariantCulture);
            if (selected is not null)
            {
                for (var i = 0; i < selected.Length; i++)
                {
                    picked![i] = fields[selected[i]];
                }
            }

            WriteRow(writer, picked ?? fields);
            if (++count % FlushEvery == 0)
            {
                await writer.FlushAsync(cancellationToken);
            }
        }

        await writer.FlushAsync(cancellationToken);
        return count;
    }

    public static string Iso(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static void WriteRow(TextWriter writer, IReadOnlyList<string?> fields)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0)
            {
                writer.Write(',');
            }

            WriteField(writer, fields[i]);
        }

        writer.WriteLine();
    }

    /// <summary>The value as a spreadsheet will not evaluate it: formula-like text gets a leading apostrophe.</summary>
    public static string DefuseFormula(string value) =>
        value.Length > 0 && (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') && !IsPlainNumber(value) ? "'" + value : value;

    // "+14155550100" or "-0.25": a spreadsheet reads them as numbers, never as a formula that calls anything.
    private static bool IsPlainNumber(string value)
    {
        var digits = value.AsSpan(1);
        var dot = digits.IndexOf('.');
        return value[0] is '+' or '-' && digits.Length > 0
            && (dot < 0 ? digits.IndexOfAnyExceptInRange('0', '9') < 0
                : dot > 0 && dot < digits.Length - 1 && digits[..dot].IndexOfAnyExceptInRange('0', '9') < 0 && digits[(dot + 1)..].IndexOfAnyExceptInRange('0', '9') < 0);
    }

    private static void WriteField(TextWriter writer, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        value = DefuseFormula(value);

        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            writer.Write(value);
            return;
        }

        writer.Write('"');
        writer.Write(value.Replace("\"", "\"\"", StringComparison.Ordinal));
        writer.Write('"');
    }
}

using System.Runtime.CompilerServices;
using System.Text;
using Azure.Data.Tables;
using CallTracking.Functions.Campaigns;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;
using CallTracking.Functions.Recordings;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Reporting;

/// <summary>Filters of a call-records request (JSON page or CSV).</summary>
public sealed record CallQuery
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;

    /// <summary>Offsets cost a read of every skipped row; deeper pages use the continuation token.</summary>
    public const int MaxOffset = 10_000;

    public string? CampaignId { get; init; }

    public CallOutcome? Status { get; init; }

    public required ReportRange Range { get; init; }

    /// <summary>E.164 with '+'.</summary>
    public string? Caller { get; init; }

    public int Limit { get; init; } = DefaultLimit;

    public int Offset { get; init; }

    /// <summary>Row key of the last call already returned (from the continuation token).</summary>
    public string? After { get; init; }

    /// <summary>A JSON page: <c>limit</c> (1–<see cref="MaxLimit"/>), <c>offset</c> and <c>continuation</c>.</summary>
    public static CallQuery Parse(IReadOnlyDictionary<string, string?> query, string defaultCountry, DateTimeOffset now) =>
        Parse(query, defaultCountry, now, exportRowsPerPart: null);

    /// <summary>
    /// One part of a CSV export: <c>limit</c> is the part's row count (1–<paramref name="rowsPerPart"/>, default
    /// <paramref name="rowsPerPart"/>); <c>continuation</c> starts after the previous part; no <c>offset</c>.
    /// </summary>
    public static CallQuery ParseExport(IReadOnlyDictionary<string, string?> query, string defaultCountry, DateTimeOffset now, int rowsPerPart) =>
        Parse(query, defaultCountry, now, rowsPerPart);

    private static CallQuery Parse(
        IReadOnlyDictionary<string, string?> query, string defaultCountry, DateTimeOffset now, int? exportRowsPerPart)
    {
        var errors = new List<FieldError>();
        ReportRange? range = null;
        try
        {
            range = ReportRange.Parse(Get(query, "from"), Get(query, "to"), Get(query, "tz"), now);
        }
        catch (ValidationException ex)
        {
            errors.AddRange(ex.Errors);
        }

        var campaign = Get(query, "campaign")?.Trim();
        if (campaign is not null && (campaign.Length is 0 or > 64 || campaign.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c))))
        {
            errors.Add(new FieldError("campaign", "Not a campaign id."));
        }

        CallOutcome? status = null;
        if (Get(query, "status") is { } statusText)
        {
            var normalized = statusText.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
            if (Enum.TryParse<CallOutcome>(normalized, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(normalized, out _))
            {
                status = parsed;
            }
            else
            {
                errors.Add(new FieldError("status", "Must be one of: " + string.Join(", ", Enum.GetNames<CallOutcome>().Select(CamelCase)) + "."));
            }
        }

        string? caller = null;
        if (Get(query, "caller") is { } callerText)
        {
            if (E164.TryNormalize(callerText, defaultCountry, out var e164))
            {
                caller = e164;
            }
            else
            {
                errors.Add(new FieldError("caller", $"'{callerText}' is not a phone number."));
            }
        }

        var limit = exportRowsPerPart is { } partRows
            ? ParseInt(query, "limit", partRows, 1, partRows, errors)
            : ParseInt(query, "limit", DefaultLimit, 1, MaxLimit, errors);
        var offset = exportRowsPerPart is null ? ParseInt(query, "offset", 0, 0, MaxOffset, errors) : 0;
        string? after = null;
        if (Get(query, "continuation") is { } token)
        {
            after = ContinuationToken.Decode(token);
            if (after is null)
            {
                errors.Add(new FieldError("continuation", "Not a continuation token from this API."));
            }
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        return new CallQuery
        {
            CampaignId = campaign,
            Status = status,
            Range = range!,
            Caller = caller,
            Limit = limit,
            Offset = offset,
            After = after,
        };
    }

    public static string CamelCase(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    private static string? Get(IReadOnlyDictionary<string, string?> query, string name) =>
        query.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

    private static int ParseInt(IReadOnlyDictionary<string, string?> query, string name, int fallback, int min, int max, List<FieldError> errors)
    {
        if (Get(query, name) is not { } text)
        {
            return fallback;
        }

        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        errors.Add(new FieldError(name, $"Must be a whole number from {min} to {max}." + (name == "offset" ? " Use the continuation token for deeper pages." : "")));
        return fallback;
    }
}

/// <summary>One call in a listing or CSV: the CDR fields plus campaign and caller details.</summary>
public sealed record CallDetail(
    string Id,
    string CampaignId,
    string? CampaignName,
    string? To,
    string? From,
    CallOutcome Status,
    DateTimeOffset Start,
    DateTimeOffset? End,
    int Duration,
    int TalkTime,
    string? RecordingUrl,
    decimal Price,
    decimal EnrichmentCost,
    string? CallerCountry,
    string? CallerCarrier,
    string? CallerLineType,
    bool FirstTimeCaller,
    int HoldTime = 0)
{
    /// <param name="publicBaseUrl">Where our recording route is published: records point to our copy, not to
    /// Vonage's URL (it expires after 30 days and needs our JWT).</param>
    public static CallDetail Of(CallEntry entry, string? campaignName, string? publicBaseUrl = null) => new(
        entry.CallId, entry.CampaignId, campaignName, entry.TrackingNumber, entry.CallerNumber, entry.Outcome,
        entry.Start, entry.End, entry.DurationSeconds, entry.TalkSeconds,
        entry.RecordingUrl is null ? null : RecordingLinks.PublishedUrl(publicBaseUrl, entry.CallId),
        CallEntry.FromMicros(entry.CarrierCostMicros), CallEntry.FromMicros(entry.EnrichmentCostMicros),
        entry.CallerCountry, entry.CallerCarrier, entry.CallerLineType, entry.FirstTimeCaller, entry.HoldSeconds);
}

/// <summary>What one CSV part held: its row count, and the token of the next part (null: this was the last).</summary>
public sealed record CsvPart(long Rows, string? Continuation);

public sealed record CallPage(
    IReadOnlyList<CallDetail> Items,
    int Offset,
    int Limit,
    bool HasMore,
    string? Continuation);

/// <summary>Opaque paging position: the row key of the last call returned (keys are unique and time-ordered).</summary>
public static class ContinuationToken
{
    private const string Version = "v1:";

    public static string Encode(string rowKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(Version + rowKey)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string? Decode(string token)
    {
        try
        {
            var base64 = token.Trim().Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            return text.StartsWith(Version, StringComparison.Ordinal) && ReportKeys.IsCallKey(text[Version.Length..])
                ? text[Version.Length..]
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>
/// Lists processed calls from the per-campaign projection rows, newest first. One campaign is one ordered range
/// query; across campaigns, each campaign's ordered stream is merged (one query per campaign per page: fine for
/// hundreds of campaigns). Filters on status and caller run in the table service.
/// </summary>
public sealed class CallRecordsService(
    ReportStore store, CampaignStore campaigns, IOptions<CallTrackingOptions> options, IOptions<CsvExportOptions> csvOptions)
{
    /// <summary>Rows the campaign streams of one merge hold at most, together (one table page each).</summary>
    private const int MergeBufferRows = 20_000;

    public string DefaultCountry => options.Value.DefaultCountry;

    /// <exception cref="ReportNotFoundException">Unknown campaign.</exception>
    public async Task<CallPage> GetPageAsync(CallQuery query, CancellationToken cancellationToken)
    {
        var names = await CampaignNamesAsync(query, cancellationToken);
        var items = new List<CallDetail>(Math.Min(query.Limit, 1000));
        string? lastKey = null;
        var skipped = 0;
        var hasMore = false;
        await foreach (var (key, entry) in StreamAsync(query, names.Keys, Math.Min(query.Offset + query.Limit + 1, 1000), cancellationToken))
        {
            if (skipped < query.Offset)
            {
                skipped++;
                continue;
            }

            if (items.Count == query.Limit)
            {
                hasMore = true;
                break;
            }

            items.Add(CallDetail.Of(entry, names.GetValueOrDefault(entry.CampaignId), options.Value.PublicBaseUrl));
            lastKey = key;
        }

        return new CallPage(items, query.Offset, query.Limit, hasMore, hasMore && lastKey is not null ? ContinuationToken.Encode(lastKey) : null);
    }

    /// <summary>The most rows one CSV response holds (<see cref="CsvExportOptions.CsvRowsPerPart"/>).</summary>
    public int CsvRowsPerPart => csvOptions.Value.CsvRowsPerPart;

    /// <summary>
    /// Writes one part of a CSV export into <paramref name="output"/>: the header and at most the query's limit of
    /// matching calls, newest first, converted as the table pages arrive (never collected into a list). Reads one
    /// row past the limit to know whether another part follows: the continuation is null only when nothing is left,
    /// so no client ever fetches an empty last part. Unknown campaigns fail here, before anything is written.
    /// </summary>
    /// <exception cref="ReportNotFoundException">Unknown campaign.</exception>
    public async Task<CsvPart> ExportPartAsync(CallQuery query, Stream output, CancellationToken cancellationToken)
    {
        var names = await CampaignNamesAsync(query, cancellationToken);
        var position = new ExportPosition();
        var rows = await CallCsvWriter.WriteAsync(output, PartRows(query, names, position, cancellationToken), cancellationToken);
        return new CsvPart(rows, position.HasMore && position.LastKey is not null ? ContinuationToken.Encode(position.LastKey) : null);
    }

    private async IAsyncEnumerable<CallDetail> PartRows(
        CallQuery query, Dictionary<string, string?> names, ExportPosition position, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var (key, entry) in StreamAsync(query, names.Keys, (int)Math.Min(query.Limit + 1L, 1000), cancellationToken))
        {
            if (count++ == query.Limit)
            {
                position.HasMore = true;
                yield break;
            }

            position.LastKey = key;
            yield return CallDetail.Of(entry, names.GetValueOrDefault(entry.CampaignId), options.Value.PublicBaseUrl);
        }
    }

    private sealed class ExportPosition
    {
        public string? LastKey { get; set; }

        public bool HasMore { get; set; }
    }

    private async Task<Dictionary<string, string?>> CampaignNamesAsync(CallQuery query, CancellationToken cancellationToken)
    {
        if (query.CampaignId is { } id)
        {
            if (id == ReportKeys.Unassigned)
            {
                return new() { [id] = null };
            }

            var campaign = await campaigns.GetAsync(id, cancellationToken)
                ?? throw new ReportNotFoundException("campaign", $"Campaign '{id}' does not exist.");
            return new() { [campaign.Id] = campaign.Name };
        }

        var names = (await campaigns.ListAsync(cancellationToken)).ToDictionary(c => c.Id, c => (string?)c.Name, StringComparer.Ordinal);
        names[ReportKeys.Unassigned] = null;
        return names;
    }

    private async IAsyncEnumerable<(string Key, CallEntry Entry)> StreamAsync(
        CallQuery query, IEnumerable<string> partitions, int pageSize, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = ExtraFilter(query);
        // Each campaign's stream holds one table page: with many campaigns, smaller pages keep the merge's memory bounded.
        var partitionList = partitions.ToList();
        pageSize = Math.Min(pageSize, Math.Max(100, MergeBufferRows / Math.Max(1, partitionList.Count)));
        var streams = partitionList
            .Select(p => store.QueryCallsAsync(p, query.Range.From, query.Range.To, query.After, filter, pageSize, cancellationToken)
                .GetAsyncEnumerator(cancellationToken))
            .ToList();
        try
        {
            // k-way merge on the row key: inverted start ticks then call id, i.e. newest first, ties broken stably.
            var heads = new PriorityQueue<IAsyncEnumerator<TableEntity>, string>(StringComparer.Ordinal);
            var started = await Task.WhenAll(streams.Select(async s => (Stream: s, HasRow: await s.MoveNextAsync())));
            foreach (var (stream, hasRow) in started)
            {
                if (hasRow)
                {
                    heads.Enqueue(stream, stream.Current.RowKey);
                }
            }

            while (heads.TryDequeue(out var stream, out var key))
            {
                yield return (key, CallEntry.FromProjectionRow(stream.Current));
                if (await stream.MoveNextAsync())
                {
                    heads.Enqueue(stream, stream.Current.RowKey);
                }
            }
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    private static string? ExtraFilter(CallQuery query)
    {
        var parts = new List<string>();
        if (query.Status is { } status)
        {
            parts.Add(TableClient.CreateQueryFilter($"Outcome eq {status.ToString()}"));
        }

        if (query.Caller is { } caller)
        {
            parts.Add(TableClient.CreateQueryFilter($"CallerNumber eq {caller}"));
        }

        return parts.Count == 0 ? null : string.Join(" and ", parts);
    }
}

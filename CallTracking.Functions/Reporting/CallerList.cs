using System.Globalization;
using System.Net;
using Azure;
using Azure.Data.Tables;
using CallTracking.Functions.Common;
using CallTracking.Functions.Processing;

namespace CallTracking.Functions.Reporting;

/// <summary>One caller number in the callers list (the seed's "contact list").</summary>
public sealed record CallerRow(
    string Number,
    DateTimeOffset FirstCallAt,
    DateTimeOffset LastCallAt,
    long Calls,
    string? LastOutcome,
    string? Country,
    string? LineType);

/// <summary>A page of callers, and where the next one starts (null: no more).</summary>
public sealed record CallerPage(IReadOnlyList<CallerRow> Callers, string? Continuation);

/// <summary>
/// The callers list, kept by the processor (table <c>CampaignCallers</c>): per campaign, and once more for all
/// campaigns (partition <c>*</c>), one row per caller number keyed by its digits reversed (<c>c|</c> + reversed), so
/// a search by the number's last digits is one key-prefix range, not a scan. A call is applied exactly once per
/// partition: a marker row (<c>x|</c> + call id) is inserted in the same entity-group transaction as the caller row
/// (ETag-conditional), so a redelivered message finds the marker and changes nothing. Withheld callers have no row.
/// </summary>
public sealed class CallerList(TableServiceClient tables, OptimisticConcurrency concurrency) : ICallProcessingStage
{
    public const string AllCampaigns = "*";
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;
    private const string CallerPrefix = "c|";
    private const string MarkerPrefix = "x|";

    private readonly TableClient _table = tables.GetTableClient(StorageNames.CampaignCallersTable);

    public async Task RunAsync(CallProcessingContext context, CancellationToken cancellationToken)
    {
        var call = context.Call;
        // A callback attempt (outbound) is our call to the number, not one of its calls: the list counts calls from it.
        if (call.CallerNumber is null || call.Direction is not null)
        {
            return;
        }

        if (call.CampaignId is { } campaignId)
        {
            await ApplyAsync(campaignId, call, cancellationToken);
        }

        await ApplyAsync(AllCampaigns, call, cancellationToken);
    }

    /// <summary>The callers' rows (not the markers) whose last call started before <paramref name="cutoff"/> (retention).</summary>
    public static string RowsLastCalledBefore(DateTimeOffset cutoff) =>
        TableClient.CreateQueryFilter($"RowKey ge {CallerPrefix} and RowKey lt {"c}"} and LastCallAt lt {cutoff}");

    /// <summary>The row key of a number: its digits reversed, so "ends with" is "starts with".</summary>
    public static string Key(string digits)
    {
        var chars = digits.TrimStart('+').ToCharArray();
        Array.Reverse(chars);
        return CallerPrefix + new string(chars);
    }

    private Task ApplyAsync(string partition, ProcessedCall call, CancellationToken cancellationToken) =>
        concurrency.RunAsync($"Caller list {partition}", async ct =>
        {
            if ((await _table.GetEntityIfExistsAsync<TableEntity>(partition, MarkerPrefix + call.CallId, ["PartitionKey"], ct)).HasValue)
            {
                return Attempt.Done(false); // applied before
            }

            var key = Key(call.CallerNumber!);
            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(partition, key, cancellationToken: ct);
            var row = existing.HasValue ? existing.Value! : new TableEntity(partition, key) { ["Number"] = call.CallerNumber, ["Calls"] = 0L };
            var first = row.GetDateTimeOffset("FirstCallAt");
            var last = row.GetDateTimeOffset("LastCallAt");
            row["Calls"] = (row.GetInt64("Calls") ?? 0) + 1;
            if (first is null || call.StartedAt < first)
            {
                row["FirstCallAt"] = call.StartedAt;
            }

            // Calls may be processed out of order: the latest call decides the "last" columns.
            if (last is null || call.StartedAt >= last)
            {
                row["LastCallAt"] = call.StartedAt;
                row["LastOutcome"] = call.Outcome.ToString();
                row["LastCallId"] = call.CallId;
                row["Country"] = call.CallerCountry ?? row.GetString("Country") ?? E164.RegionOf(call.CallerNumber!);
                row["LineType"] = call.CallerLineType ?? row.GetString("LineType");
            }

            List<TableTransactionAction> actions =
            [
                new(TableTransactionActionType.Add, new TableEntity(partition, MarkerPrefix + call.CallId)),
                existing.HasValue
                    ? new(TableTransactionActionType.UpdateReplace, row, existing.Value!.ETag)
                    : new(TableTransactionActionType.Add, row),
            ];
            try
            {
                await _table.SubmitTransactionAsync(actions, ct);
            }
            catch (TableTransactionFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
            {
                return Attempt<bool>.LostRace(ex); // a duplicate applied it, or the row moved: read again
            }

            return Attempt.Done(true);
        }, cancellationToken);

    /// <summary>
    /// A page of callers of one campaign (or all), in order of their reversed digits; <paramref name="suffix"/>
    /// (digits) keeps numbers ending with it; <paramref name="after"/> is the last row key of the previous page.
    /// </summary>
    public async Task<CallerPage> ListAsync(string? campaignId, string? suffix, int limit, string? after, CancellationToken cancellationToken)
    {
        var partition = campaignId ?? AllCampaigns;
        var from = suffix is null ? CallerPrefix : Key(suffix);
        var to = from[..^1] + (char)(from[^1] + 1); // the end of the prefix range
        var filter = after is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {from} and RowKey lt {to}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {from} and RowKey lt {to} and RowKey gt {after}");
        var rows = new List<CallerRow>(limit);
        string? lastKey = null;
        var more = false;
        await foreach (var r in _table.QueryAsync<TableEntity>(filter, Math.Min(limit + 1, 1000), cancellationToken: cancellationToken))
        {
            if (rows.Count == limit)
            {
                more = true;
                break;
            }

            lastKey = r.RowKey;
            rows.Add(new CallerRow(
                r.GetString("Number") ?? "",
                r.GetDateTimeOffset("FirstCallAt") ?? default,
                r.GetDateTimeOffset("LastCallAt") ?? default,
                r.GetInt64("Calls") ?? 0,
                r.GetString("LastOutcome"),
                r.GetString("Country"),
                r.GetString("LineType")));
        }

        return new CallerPage(rows, more && lastKey is not null ? EncodeToken(lastKey) : null);
    }

    private const string TokenVersion = "c1:";

    private static string EncodeToken(string rowKey) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(TokenVersion + rowKey)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The row key a token stands for, or null when it is not one of ours.</summary>
    internal static string? DecodeToken(string token)
    {
        try
        {
            var base64 = token.Trim().Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            var key = text.StartsWith(TokenVersion, StringComparison.Ordinal) ? text[TokenVersion.Length..] : null;
            return key is not null && key.StartsWith(CallerPrefix, StringComparison.Ordinal) && key.Length <= 40
                && key[CallerPrefix.Length..].All(char.IsAsciiDigit) ? key : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Reads the query: <c>campaign</c> (an id), <c>q</c> (the number's last digits), <c>limit</c>, <c>continuation</c>.</summary>
    /// <exception cref="ValidationException">Names each bad parameter.</exception>
    public static (string? Campaign, string? Suffix, int Limit, string? After) ParseQuery(IReadOnlyDictionary<string, string?> query)
    {
        var errors = new List<FieldError>();
        // Given but blank (e.g. a newline) is a mistake, not "all campaigns".
        var campaign = query.TryGetValue("campaign", out var rawCampaign) && !string.IsNullOrEmpty(rawCampaign) ? rawCampaign.Trim() : null;
        if (campaign is not null && !Campaigns.CampaignValidator.IsValidId(campaign))
        {
            errors.Add(new FieldError("campaign", "Not a campaign id."));
        }

        var q = Value(query, "q");
        string? suffix = null;
        if (q is not null)
        {
            suffix = new string(q.Where(char.IsAsciiDigit).ToArray());
            if (suffix.Length == 0 || suffix.Length > 15 || q.Any(c => !char.IsAsciiDigit(c) && c is not (' ' or '+' or '-' or '(' or ')')))
            {
                errors.Add(new FieldError("q", "The last digits of a number (1-15 digits)."));
            }
        }

        var limit = DefaultLimit;
        if (Value(query, "limit") is { } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            errors.Add(new FieldError("limit", $"Must be a whole number from 1 to {MaxLimit}."));
        }

        string? after = null;
        if (Value(query, "continuation") is { } token && (token.Length > 200 || (after = DecodeToken(token)) is null))
        {
            errors.Add(new FieldError("continuation", "Not a continuation token from this API."));
        }

        if (errors.Count > 0)
        {
            throw new ValidationException(errors);
        }

        return (campaign, suffix, limit, after);
    }

    private static string? Value(IReadOnlyDictionary<string, string?> query, string name) =>
        query.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}

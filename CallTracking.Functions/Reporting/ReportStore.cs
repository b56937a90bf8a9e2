using Azure.Data.Tables;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Reporting;

/// <summary>
/// The reporting table (<c>CampaignStats</c>). One partition per campaign holds these kinds of rows, so that
/// applying a call (or a batch of calls) is one entity-group transaction:
/// <list type="bullet">
/// <item><c>h|yyyyMMddHH</c>: the hour aggregate (<see cref="HourAggregate"/>), ETag-guarded;</item>
/// <item><c>d|yyyyMMdd</c>: the day rollup of those hours, updated in the same transaction;</item>
/// <item><c>m|yyyyMM</c>: the month rollup, likewise;</item>
/// <item><c>c|&lt;inverted start ticks&gt;|&lt;call id&gt;</c>: the call's CDR projection, newest first;</item>
/// <item><c>i|&lt;call id&gt;</c>: what was applied for the call (idempotency marker).</item>
/// </list>
/// </summary>
public sealed class ReportStore(TableServiceClient tableService)
{
    public TableClient Table { get; } = tableService.GetTableClient(StorageNames.CampaignStatsTable);

    public async Task<TableEntity?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>Hour rows of one campaign for hours starting in [<paramref name="fromHour"/>, <paramref name="toHour"/>).</summary>
    public IAsyncEnumerable<TableEntity> QueryHoursAsync(string campaignId, DateTimeOffset fromHour, DateTimeOffset toHour, CancellationToken cancellationToken) =>
        QueryKeysAsync(campaignId, ReportKeys.HourKey(fromHour), ReportKeys.HourKey(toHour), cancellationToken);

    /// <summary>Day rollup rows of one campaign for UTC days starting in [<paramref name="fromDay"/>, <paramref name="toDay"/>).</summary>
    public IAsyncEnumerable<TableEntity> QueryDaysAsync(string campaignId, DateTimeOffset fromDay, DateTimeOffset toDay, CancellationToken cancellationToken) =>
        QueryKeysAsync(campaignId, ReportKeys.DayKey(fromDay), ReportKeys.DayKey(toDay), cancellationToken);

    /// <summary>Month rollup rows of one campaign for UTC months starting in [<paramref name="fromMonth"/>, <paramref name="toMonth"/>).</summary>
    public IAsyncEnumerable<TableEntity> QueryMonthsAsync(string campaignId, DateTimeOffset fromMonth, DateTimeOffset toMonth, CancellationToken cancellationToken) =>
        QueryKeysAsync(campaignId, ReportKeys.MonthKey(fromMonth), ReportKeys.MonthKey(toMonth), cancellationToken);

    private IAsyncEnumerable<TableEntity> QueryKeysAsync(string campaignId, string fromKey, string toKey, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {campaignId} and RowKey ge {fromKey} and RowKey lt {toKey}");
        return Table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Projection rows of one campaign for calls that started in [<paramref name="from"/>, <paramref name="to"/>),
    /// newest first, optionally after a continuation row key, with extra OData conditions (already escaped).
    /// </summary>
    public IAsyncEnumerable<TableEntity> QueryCallsAsync(
        string campaignId, DateTimeOffset from, DateTimeOffset to, string? afterKey, string? extraFilter, int pageSize,
        CancellationToken cancellationToken)
    {
        // Inverted ticks: calls before 'to' have keys above bound(to); calls at or after 'from' have keys up to bound(from)+"|~".
        var lower = ReportKeys.CallKeyBound(to) + "|~";
        var upper = ReportKeys.CallKeyBound(from) + "|~";
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {campaignId} and RowKey gt {lower} and RowKey lt {upper}");
        if (afterKey is not null && string.CompareOrdinal(afterKey, lower) > 0)
        {
            filter += " and " + TableClient.CreateQueryFilter($"RowKey gt {afterKey}");
        }

        if (!string.IsNullOrEmpty(extraFilter))
        {
            filter += " and " + extraFilter;
        }

        return Table.QueryAsync<TableEntity>(filter, maxPerPage: pageSize, cancellationToken: cancellationToken);
    }
}

using System.Globalization;
using System.Net;
using System.Web;
using CallTracking.Functions.Common;
using CallTracking.Functions.Reporting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>Call detail records: a JSON page, or CSV in parts.</summary>
public sealed class CallRecordsFunctions(CallRecordsService records, TimeProvider time)
{
    public const string ContinuationHeader = "X-Continuation-Token";
    public const string RowCountHeader = "X-Row-Count";

    [Function("CallRecords")]
    public async Task<HttpResponseData> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "calls")] HttpRequestData req, CancellationToken cancellationToken)
    {
        var query = CallQuery.Parse(ReportHttp.Query(req), records.DefaultCountry, time.GetUtcNow());
        return await req.JsonAsync(await records.GetPageAsync(query, cancellationToken));
    }

    /// <summary>
    /// One part of the export, at most <see cref="CsvExportOptions.CsvRowsPerPart"/> rows. The isolated worker sends
    /// a plain <see cref="HttpResponseData"/> only when the function returns, body and all, as one gRPC message: a
    /// single response cannot stream an unbounded export, so each part is bounded and, when more calls match, links
    /// to the next (<c>Link: &lt;…&gt;; rel="next"</c> and <c>X-Continuation-Token</c>). The same buffering is why
    /// these headers can be set after the rows are written, and why a storage failure mid-part is a clean 500
    /// rather than a truncated 200.
    /// </summary>
    [Function("CallRecordsCsv")]
    public async Task<HttpResponseData> Csv(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "calls.csv")] HttpRequestData req, CancellationToken cancellationToken)
    {
        var parameters = ReportHttp.Query(req);
        var query = CallQuery.ParseExport(parameters, records.DefaultCountry, time.GetUtcNow(), records.CsvRowsPerPart);
        var response = req.CreateResponse(HttpStatusCode.OK);
        var part = await records.ExportPartAsync(query, response.Body, cancellationToken);
        response.Headers.Add("Content-Type", CallCsvWriter.ContentType);
        var name = $"calls-{query.CampaignId ?? "all"}-{query.Range.From:yyyyMMdd}-{query.Range.To:yyyyMMdd}.csv";
        response.Headers.Add("Content-Disposition", $"attachment; filename=\"{name}\"");
        response.Headers.Add("Cache-Control", "no-store");
        response.Headers.Add(RowCountHeader, part.Rows.ToString(CultureInfo.InvariantCulture));
        if (part.Continuation is { } token)
        {
            response.Headers.Add(ContinuationHeader, token);
            response.Headers.Add("Link", $"<{NextPartUrl(req.Url.AbsolutePath, parameters, query, token)}>; rel=\"next\"");
        }

        return response;
    }

    /// <summary>
    /// The next part's address (relative to this host): the same filters, the range pinned to the instants this part
    /// used (a default "last 30 days" must not move between parts), and the token. The function key (<c>code</c>) is
    /// left out so a key never travels in a response header: clients authenticate each part as they did the first.
    /// </summary>
    private static string NextPartUrl(string path, IReadOnlyDictionary<string, string?> parameters, CallQuery query, string token)
    {
        var next = HttpUtility.ParseQueryString("");
        foreach (var (key, value) in parameters)
        {
            if (value is not null && !key.Equals("code", StringComparison.OrdinalIgnoreCase) && !key.Equals("continuation", StringComparison.OrdinalIgnoreCase)
                && !key.Equals("from", StringComparison.OrdinalIgnoreCase) && !key.Equals("to", StringComparison.OrdinalIgnoreCase))
            {
                next[key] = value;
            }
        }

        next["from"] = query.Range.From.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        next["to"] = query.Range.To.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        next["continuation"] = token;
        return path + "?" + next;
    }
}

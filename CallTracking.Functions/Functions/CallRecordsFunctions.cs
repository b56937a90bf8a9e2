using System.Net;
using CallTracking.Functions.Common;
using CallTracking.Functions.Reporting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>Call detail records: a JSON page, or all of them as CSV.</summary>
public sealed class CallRecordsFunctions(CallRecordsService records, TimeProvider time)
{
    [Function("CallRecords")]
    public Task<HttpResponseData> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "calls")] HttpRequestData req, CancellationToken cancellationToken) =>
        ReportHttp.RunAsync(req, async () =>
        {
            var query = CallQuery.Parse(ReportHttp.Query(req), records.DefaultCountry, time.GetUtcNow());
            return await req.JsonAsync(await records.GetPageAsync(query, cancellationToken));
        });

    [Function("CallRecordsCsv")]
    public Task<HttpResponseData> Csv(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "calls.csv")] HttpRequestData req, CancellationToken cancellationToken) =>
        ReportHttp.RunAsync(req, async () =>
        {
            var query = CallQuery.Parse(ReportHttp.Query(req), records.DefaultCountry, time.GetUtcNow(), pageParameters: false);
            var rows = await records.ExportAsync(query, cancellationToken);
            var response = req.CreateResponse(HttpStatusCode.OK);
            response.Headers.Add("Content-Type", CallCsvWriter.ContentType);
            var name = $"calls-{query.CampaignId ?? "all"}-{query.Range.From:yyyyMMdd}-{query.Range.To:yyyyMMdd}.csv";
            response.Headers.Add("Content-Disposition", $"attachment; filename=\"{name}\"");
            response.Headers.Add("Cache-Control", "no-store");
            await CallCsvWriter.WriteAsync(response.Body, rows, cancellationToken);
            return response;
        });
}

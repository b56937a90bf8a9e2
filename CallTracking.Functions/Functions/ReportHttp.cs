using System.Web;
using CallTracking.Functions.Common;
using CallTracking.Functions.Reporting;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>Shared glue of the report endpoints: query parameters in, problems out.</summary>
internal static class ReportHttp
{
    public static IReadOnlyDictionary<string, string?> Query(HttpRequestData request)
    {
        var parsed = HttpUtility.ParseQueryString(request.Url.Query);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in parsed.AllKeys)
        {
            if (key is not null)
            {
                values[key] = parsed[key];
            }
        }

        return values;
    }

    /// <summary>Runs the endpoint; bad input becomes a 400 problem naming the field, unknown things a 404.</summary>
    public static async Task<HttpResponseData> RunAsync(HttpRequestData request, Func<Task<HttpResponseData>> handler)
    {
        try
        {
            return await handler();
        }
        catch (ValidationException ex)
        {
            return await request.ProblemAsync(Problem.Validation(ex.Errors));
        }
        catch (ReportNotFoundException ex)
        {
            return await request.ProblemAsync(Problem.NotFound(ex.Message) with { Errors = [new FieldError(ex.Field, ex.Message)] });
        }
    }
}

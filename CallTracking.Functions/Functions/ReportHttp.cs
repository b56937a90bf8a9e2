using System.Web;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>The report endpoints' query parameters, case-insensitive by name.</summary>
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
}

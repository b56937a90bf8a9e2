using System.Text;
using System.Text.Json.Nodes;

namespace CallTracking.Tests.Infrastructure;

/// <summary>
/// A JSON request body with a Content-Length. The Functions host passes a body to the worker only with one, so a
/// chunked body (what <c>PutAsJsonAsync</c> and <c>JsonContent</c> send) arrives as no body, in Azure and locally.
/// </summary>
public static class JsonBody
{
    public static StringContent From(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");
}

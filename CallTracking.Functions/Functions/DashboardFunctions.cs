using System.Net;
using Azure.Storage.Blobs;
using CallTracking.Functions.Common;
using CallTracking.Functions.Reporting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>
/// The dashboard page and its static assets. They are anonymous on purpose: the page holds no data and asks
/// for the function key, which it sends with every API call (the APIs themselves require it).
/// </summary>
public sealed class DashboardFunctions(DashboardAssets assets, BlobServiceClient blobs)
{
    [Function("Dashboard")]
    public Task<HttpResponseData> Page(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard")] HttpRequestData req) =>
        ServeAsync(req, DashboardAssets.PageName);

    [Function("DashboardAsset")]
    public Task<HttpResponseData> Asset(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/assets/{name}")] HttpRequestData req, string name) =>
        ServeAsync(req, name);

    private async Task<HttpResponseData> ServeAsync(HttpRequestData req, string name)
    {
        var (content, contentType) = assets.Get(name) ?? throw new NotFoundException($"No dashboard asset '{name}'.");

        var response = req.CreateResponse(HttpStatusCode.OK);
        response.Headers.Add("Content-Type", contentType);
        response.Headers.Add("X-Content-Type-Options", "nosniff");
        response.Headers.Add("Referrer-Policy", "no-referrer");
        if (name == DashboardAssets.PageName)
        {
            response.Headers.Add("Cache-Control", "no-cache");
            response.Headers.Add("Content-Security-Policy",
                "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; " +
                // The recording player follows our redirect to a short-lived link on the blob endpoint.
                $"media-src 'self' {blobs.Uri.GetLeftPart(UriPartial.Authority)}");
        }
        else
        {
            response.Headers.Add("Cache-Control", "public, max-age=86400");
        }

        await response.WriteBytesAsync(content);
        return response;
    }
}

using System.Net;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Forwarding;
using CallTracking.Functions.Recordings;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace CallTracking.Functions.Functions;

/// <summary>The recording archive: the copy job on <c>recordings</c>, and <c>GET /api/calls/{id}/recording</c>.</summary>
public sealed class RecordingFunctions(RecordingArchiver archiver, RecordingLinks links)
{
    [Function("ArchiveRecording")]
    public Task Archive(
        [QueueTrigger(StorageNames.RecordingsQueue, Connection = StorageNames.StorageConnection)] RecordingArchiveMessage message,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(message?.CallId))
        {
            throw new InvalidOperationException("A recordings message without a callId cannot be archived.");
        }

        return archiver.ArchiveAsync(message.CallId, cancellationToken);
    }

    /// <summary>A redirect to a short-lived read-only URL of our copy; 404 when there is none (or it was erased).</summary>
    [Function("CallRecording")]
    public async Task<HttpResponseData> Play(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "calls/{id}/recording")] HttpRequestData req,
        string id,
        CancellationToken cancellationToken)
    {
        if (!DeliveryReport.IsValidCallId(id))
        {
            throw new ValidationException("id", "Must be a call id (1–100 letters, digits, '-' or '_').");
        }

        var location = await links.PlaybackUriAsync(id, cancellationToken);
        var response = req.CreateResponse(HttpStatusCode.Redirect);
        response.Headers.Add("Location", location.AbsoluteUri);
        // The link carries a signature: no cache may keep it beyond its lifetime.
        response.Headers.Add("Cache-Control", "no-store");
        return response;
    }
}

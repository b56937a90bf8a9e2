using System.Globalization;
using System.Net;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Vonage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Recordings;

/// <summary>What <see cref="RecordingArchiver.ArchiveAsync"/> did.</summary>
public enum ArchiveOutcome
{
    /// <summary>No such call, no recording, or the caller's data was erased.</summary>
    NothingToArchive,

    /// <summary>Already in Blob Storage (a duplicate message).</summary>
    AlreadyArchived,

    /// <summary>Downloaded and stored now.</summary>
    Archived,

    /// <summary>No Vonage application credentials (<c>Vonage__ApplicationId</c>, <c>Vonage__PrivateKey</c>): not downloaded.</summary>
    NotConfigured,
}

/// <summary>
/// Copies a call's recording from Vonage (which deletes it after 30 days) into container <c>recordings</c> as
/// <c>&lt;campaign&gt;/&lt;yyyy&gt;/&lt;MM&gt;/&lt;call id&gt;.&lt;ext&gt;</c>, streamed from the download into the upload in
/// 1 MiB blocks (never the whole file in memory), then records blob, size and content type on the call.
/// Idempotent per call: the ledger and the blob are checked before downloading, and the upload is conditional
/// (If-None-Match: *), so duplicate messages store it once. A failed download throws: the queue retries, then
/// poisons (<c>POST /api/ops/replay?queue=recordings</c>).
/// </summary>
public sealed class RecordingArchiver(
    CallStore calls,
    BlobServiceClient blobs,
    VoiceApiClient voiceApi,
    IOptions<VonageOptions> vonage,
    TimeProvider time,
    ILogger<RecordingArchiver> logger)
{
    /// <summary>Block size of the upload: what is held in memory at a time.</summary>
    public const int BlockBytes = 1024 * 1024;

    private readonly BlobContainerClient _container = blobs.GetBlobContainerClient(StorageNames.RecordingsContainer);

    public async Task<ArchiveOutcome> ArchiveAsync(string callId, CancellationToken cancellationToken = default)
    {
        var call = await calls.GetAsync(callId, cancellationToken);
        if (call?.RecordingUrl is null || call.CallerErasedAt is not null)
        {
            return ArchiveOutcome.NothingToArchive;
        }

        if (call.RecordingBlob is not null)
        {
            return ArchiveOutcome.AlreadyArchived;
        }

        if (string.IsNullOrWhiteSpace(vonage.Value.ApplicationId) || string.IsNullOrWhiteSpace(vonage.Value.PrivateKey))
        {
            // Retrying cannot help until the settings are there; the recording stays on the call (Vonage keeps it
            // 30 days) and a later message, e.g. a replayed webhook, archives it once they are set.
            logger.LogWarning("The recording of call {CallId} is not archived: set Vonage__ApplicationId and Vonage__PrivateKey", callId);
            return ArchiveOutcome.NotConfigured;
        }

        // Checked at the webhook already; the Voice API client checks the host again before attaching its JWT.
        if (!Uri.TryCreate(call.RecordingUrl, UriKind.Absolute, out var url))
        {
            throw new InvalidOperationException($"Call {callId}: the recording URL is not an absolute URL; not downloaded.");
        }

        var (name, contentType, size) = await FindExistingAsync(call, cancellationToken) ?? await DownloadAsync(call, url, cancellationToken);
        var updated = await calls.UpdateAsync(callId, current =>
        {
            if (current.CallerErasedAt is not null || current.RecordingBlob == name)
            {
                return false;
            }

            current.RecordingBlob = name;
            current.RecordingContentType = contentType;
            current.RecordingSizeBytes = size;
            current.RecordingArchivedAt = time.GetUtcNow();
            return true;
        }, cancellationToken);

        if (updated.CallerErasedAt is not null)
        {
            // Erased while we were downloading: the erasure could not see this blob, so it goes now.
            await _container.DeleteBlobIfExistsAsync(name, cancellationToken: cancellationToken);
            return ArchiveOutcome.NothingToArchive;
        }

        logger.LogInformation("Archived the recording of call {CallId} ({Bytes} bytes, {ContentType})", callId, size, contentType);
        return ArchiveOutcome.Archived;
    }

    /// <summary><c>campaign/yyyy/MM/</c> of a call: by when it started, so retention and browsing go by month.</summary>
    public static string Folder(CallRecord call)
    {
        var start = (call.InboundStartTime ?? call.AnsweredAt ?? call.RecordingStartTime ?? call.CompletedAt ?? call.Timestamp ?? DateTimeOffset.UnixEpoch).UtcDateTime;
        var campaign = string.IsNullOrEmpty(call.CampaignId) ? "unassigned" : call.CampaignId;
        return string.Create(CultureInfo.InvariantCulture, $"{campaign}/{start:yyyy}/{start:MM}/");
    }

    /// <summary>The file extension for what Vonage sent (MP3 by default; WAV or OGG when asked).</summary>
    public static string Extension(string? contentType) => contentType?.ToLowerInvariant() switch
    {
        "audio/mpeg" or "audio/mp3" => "mp3",
        "audio/wav" or "audio/x-wav" or "audio/wave" or "audio/vnd.wave" => "wav",
        "audio/ogg" or "application/ogg" or "audio/opus" => "ogg",
        _ => "bin",
    };

    /// <summary>A copy stored by an earlier attempt that crashed before writing the ledger.</summary>
    private async Task<(string Name, string ContentType, long Size)?> FindExistingAsync(CallRecord call, CancellationToken cancellationToken)
    {
        await foreach (var item in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, Folder(call) + call.PartitionKey + ".", cancellationToken))
        {
            return (item.Name, item.Properties.ContentType ?? "application/octet-stream", item.Properties.ContentLength ?? 0);
        }

        return null;
    }

    private async Task<(string Name, string ContentType, long Size)> DownloadAsync(CallRecord call, Uri url, CancellationToken cancellationToken)
    {
        using var response = await voiceApi.GetRecordingAsync(url, cancellationToken);
        var contentType = response.Content.Headers.ContentType?.MediaType ?? "audio/mpeg";
        var name = Folder(call) + call.PartitionKey + "." + Extension(contentType);
        var blob = _container.GetBlobClient(name);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        try
        {
            await blob.UploadAsync(body, new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                // A non-seekable stream is staged block by block: one block in memory at a time.
                TransferOptions = new Azure.Storage.StorageTransferOptions
                {
                    InitialTransferSize = BlockBytes,
                    MaximumTransferSize = BlockBytes,
                    MaximumConcurrency = 1,
                },
            }, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
        {
            // A duplicate message stored it meanwhile: theirs is the same recording.
        }

        var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
        return (name, properties.Value.ContentType ?? contentType, properties.Value.ContentLength);
    }
}

using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Recordings;

/// <summary>
/// Where a recording can be heard: <see cref="PublishedUrl"/> is the one URL we hand out (records, CSV, dashboard,
/// outgoing data), our <c>GET /api/calls/{id}/recording</c>, never Vonage's URL (it expires after 30 days and needs
/// our JWT); <see cref="PlaybackUriAsync"/> is where that route redirects: a read-only SAS valid for
/// <see cref="LinkLifetime"/>.
/// </summary>
public sealed class RecordingLinks(CallStore calls, BlobServiceClient blobs, IOptions<CallTrackingOptions> options, TimeProvider time)
{
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromMinutes(15);

    private readonly BlobContainerClient _container = blobs.GetBlobContainerClient(StorageNames.RecordingsContainer);

    /// <summary>
    /// The recording URL we publish for a call with a recording: absolute on <c>CallTracking__PublicBaseUrl</c> when
    /// set, else relative (the dashboard's own origin). It answers 404 until the copy has landed.
    /// </summary>
    public string PublishedUrl(string callId) => PublishedUrl(options.Value.PublicBaseUrl, callId);

    public static string PublishedUrl(string? publicBaseUrl, string callId) =>
        (publicBaseUrl?.TrimEnd('/') ?? "") + "/api/calls/" + Uri.EscapeDataString(callId) + "/recording";

    /// <exception cref="NotFoundException">No such call, no archived recording, or it was erased or purged.</exception>
    public async Task<Uri> PlaybackUriAsync(string callId, CancellationToken cancellationToken = default)
    {
        var call = await calls.GetAsync(callId, cancellationToken) ?? throw new NotFoundException($"No call '{callId}'.", "id");
        if (call.RecordingBlob is null)
        {
            throw new NotFoundException(call.RecordingUrl is null || call.CallerErasedAt is not null
                ? $"Call '{callId}' has no recording."
                : $"The recording of call '{callId}' is not archived yet.", "id");
        }

        var blob = _container.GetBlobClient(call.RecordingBlob);
        if (!await blob.ExistsAsync(cancellationToken))
        {
            throw new NotFoundException($"The recording of call '{callId}' is no longer kept (retention).", "id");
        }

        var now = time.GetUtcNow();
        var expires = now + LinkLifetime;
        if (blob.CanGenerateSasUri)
        {
            // Shared key (Azurite locally): a service SAS.
            return blob.GenerateSasUri(BlobSasPermissions.Read, expires);
        }

        // Azure, where shared keys are off: a user-delegation SAS signed with a key from our managed identity.
        var key = await blobs.GetUserDelegationKeyAsync(now.AddMinutes(-5), expires, cancellationToken);
        var sas = new BlobSasBuilder
        {
            BlobContainerName = _container.Name,
            BlobName = blob.Name,
            Resource = "b",
            StartsOn = now.AddMinutes(-5),
            ExpiresOn = expires,
            Protocol = SasProtocol.Https,
        };
        sas.SetPermissions(BlobSasPermissions.Read);
        return new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(key.Value, blobs.AccountName) }.ToUri();
    }
}

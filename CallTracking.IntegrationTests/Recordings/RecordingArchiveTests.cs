using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Queues;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Recordings;
using CallTracking.Tests.Calls;
using CallTracking.Tests.Infrastructure;
using CallTracking.Tests.Vonage;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CallTracking.Tests.Recordings;

/// <summary>
/// The recording archive in process against Azurite, with Vonage's file server played by <see cref="VoiceApiStub"/>
/// (its host is allowed through the <c>Vonage__VoiceApiBaseUrl</c> seam, as in tests only).
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class RecordingArchiveTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private VoiceApiStub _vonage = null!;
    private ServiceProvider _services = null!;
    private QueueClient _queue = null!;
    private BlobContainerClient _container = null!;

    public async Task InitializeAsync()
    {
        _vonage = await VoiceApiStub.StartAsync();
        _services = TestServices.Create(azurite, new Dictionary<string, string?>(_vonage.Settings()) { ["CallTracking:ProcessingDelaySeconds"] = "0" });
        await _services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync();
        _queue = azurite.QueueService().GetQueueClient(StorageNames.RecordingsQueue);
        await _queue.ClearMessagesAsync();
        _container = azurite.BlobService().GetBlobContainerClient(StorageNames.RecordingsContainer);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _vonage.DisposeAsync();
    }

    private CallIntake Intake => _services.GetRequiredService<CallIntake>();

    private RecordingArchiver Archiver => _services.GetRequiredService<RecordingArchiver>();

    private static string RecordingWebhook(string callId, string url) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["conversation_uuid"] = callId,
        ["recording_uuid"] = "rec-" + callId,
        ["recording_url"] = url,
        ["start_time"] = "2026-03-01T12:00:01.000Z",
        ["end_time"] = "2026-03-01T12:01:06.000Z",
        ["size"] = 12345,
        ["timestamp"] = "2026-03-01T12:01:07.000Z",
    });

    /// <summary>What the Functions host would do: deliver every message, leaving a failed one for redelivery.</summary>
    private async Task<int> DrainQueueAsync(int maxRounds = 10)
    {
        var failures = 0;
        for (var round = 0; round < maxRounds; round++)
        {
            var messages = (await _queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(1))).Value;
            if (messages.Length == 0)
            {
                // Failed messages come back after their visibility timeout.
                var peeked = (await _queue.PeekMessagesAsync(1)).Value;
                var properties = await _queue.GetPropertiesAsync();
                if (peeked.Length == 0 && properties.Value.ApproximateMessagesCount == 0)
                {
                    return failures;
                }

                await Task.Delay(300);
                continue;
            }

            foreach (var message in messages)
            {
                try
                {
                    await Archiver.ArchiveAsync(message.Body.ToObjectFromJson<RecordingArchiveMessage>()!.CallId);
                    await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                }
                catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
                {
                    failures++;
                }
            }
        }

        throw new InvalidOperationException("The recordings queue did not drain.");
    }

    private async Task<List<BlobItem>> BlobsOfAsync(string callId)
    {
        var blobs = new List<BlobItem>();
        await foreach (var blob in _container.GetBlobsAsync())
        {
            if (blob.Name.Contains(callId, StringComparison.Ordinal))
            {
                blobs.Add(blob);
            }
        }

        return blobs;
    }

    [Fact]
    public async Task A_recording_lands_in_blob_once_under_duplicate_webhooks_and_a_500_then_200_download()
    {
        var callId = TestServices.UniqueId("CON");
        var path = "/v1/files/" + Guid.NewGuid();
        var bytes = Encoding.ASCII.GetBytes("ID3 fake mp3 " + callId);
        _vonage.Server.On("GET", path, new StubResponse(500, "{\"title\":\"busy\"}"), new StubResponse(200, Encoding.ASCII.GetString(bytes), "audio/mpeg"));
        await Intake.HandleEventAsync(Encoding.UTF8.GetBytes(new CallEvents(callId).Inbound("started", 0)));

        await Intake.HandleRecordingAsync(Encoding.UTF8.GetBytes(RecordingWebhook(callId, _vonage.BaseUrl + path)));
        await Intake.HandleRecordingAsync(Encoding.UTF8.GetBytes(RecordingWebhook(callId, _vonage.BaseUrl + path)));
        var failures = await DrainQueueAsync();

        Assert.Equal(1, failures); // the 500
        var blob = Assert.Single(await BlobsOfAsync(callId));
        Assert.Equal($"unassigned/2026/03/{callId}.mp3", blob.Name);
        var stored = (await _container.GetBlobClient(blob.Name).DownloadContentAsync()).Value;
        Assert.Equal(bytes, stored.Content.ToArray());
        Assert.Equal("audio/mpeg", stored.Details.ContentType);

        var call = await _services.GetRequiredService<CallStore>().GetAsync(callId);
        Assert.Equal(blob.Name, call!.RecordingBlob);
        Assert.Equal(bytes.Length, call.RecordingSizeBytes);
        Assert.Equal("audio/mpeg", call.RecordingContentType);

        var downloads = _vonage.Server.RequestsTo(path, "GET");
        Assert.Equal(2, downloads.Count); // the 500 and the 200; the duplicate message found it archived
        Assert.All(downloads, _vonage.AssertSignedByApplication);

        // Played back: our route's redirect target serves the bytes.
        var playback = await _services.GetRequiredService<RecordingLinks>().PlaybackUriAsync(callId);
        using var http = new HttpClient();
        Assert.Equal(bytes, await http.GetByteArrayAsync(playback));
    }

    [Fact]
    public async Task A_download_larger_than_the_upload_buffers_is_streamed_block_by_block()
    {
        var callId = TestServices.UniqueId("CON");
        var path = "/v1/files/" + Guid.NewGuid();
        const long size = 24L * 1024 * 1024 + 12345; // 24 blocks and a bit
        _vonage.Server.On("GET", path, StubResponse.Generated(size, "audio/wav"));
        await Intake.HandleRecordingAsync(Encoding.UTF8.GetBytes(RecordingWebhook(callId, _vonage.BaseUrl + path)));

        var before = GC.GetTotalAllocatedBytes(precise: true);
        Assert.Equal(0, await DrainQueueAsync());
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        var blob = Assert.Single(await BlobsOfAsync(callId));
        Assert.EndsWith(".wav", blob.Name, StringComparison.Ordinal);
        Assert.Equal(size, blob.Properties.ContentLength);
        var blocks = (await _container.GetBlockBlobClient(blob.Name).GetBlockListAsync()).Value.CommittedBlocks.ToList();
        Assert.Equal((size + RecordingArchiver.BlockBytes - 1) / RecordingArchiver.BlockBytes, blocks.Count);
        Assert.All(blocks.SkipLast(1), b => Assert.Equal(RecordingArchiver.BlockBytes, b.SizeLong));

        // Every byte where it belongs.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var stream = await _container.GetBlobClient(blob.Name).OpenReadAsync())
        {
            var buffer = new byte[81920];
            long offset = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                var want = new byte[read];
                for (var i = 0; i < read; i++)
                {
                    want[i] = StubResponse.GeneratedByte(offset + i);
                }

                expected.AppendData(want);
                offset += read;
            }
        }

        Assert.Equal(expected.GetHashAndReset(), hash.GetHashAndReset());
        Console.WriteLine($"Archived {size:N0} bytes; {allocated:N0} bytes allocated in this process meanwhile (stub included).");
    }

    [Fact]
    public async Task A_foreign_host_in_recording_url_is_refused_at_the_webhook()
    {
        var callId = TestServices.UniqueId("CON");
        foreach (var url in new[] { "https://evil.example.com/v1/files/x", "http://api.nexmo.com/v1/files/x", "https://api.nexmo.com.evil.io/v1/files/x" })
        {
            var error = await Assert.ThrowsAsync<ValidationException>(() => Intake.HandleRecordingAsync(Encoding.UTF8.GetBytes(RecordingWebhook(callId, url))));
            Assert.Contains(error.Errors, e => e.Field == "recording_url");
        }

        Assert.Null(await _services.GetRequiredService<CallStore>().GetAsync(callId));
        Assert.Equal(0, (await _queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task No_archived_recording_is_a_404()
    {
        var links = _services.GetRequiredService<RecordingLinks>();
        await Assert.ThrowsAsync<NotFoundException>(() => links.PlaybackUriAsync(TestServices.UniqueId("CON")));
    }
}

using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.LocalHost;

/// <summary>
/// The recording route and a caller's data routes through the local host with keys enforced, against the real worker:
/// the recording redirects to our copy (function key), export and erasure need the master key, bad input is a 400
/// naming the field.
/// </summary>
[Collection(KeyLevelFunctionsHostCollection.Name)]
public class PrivacyEndToEndTests(KeyLevelFunctionsHostFixture host)
{
    private const string Function = KeyLevelFunctionsHostFixture.FunctionKey;
    private const string Master = KeyLevelFunctionsHostFixture.MasterKey;

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key, bool followRedirects = false)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = followRedirects }) { BaseAddress = host.Host.BaseAddress };
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Add("x-functions-key", key);
        }

        return await http.SendAsync(request);
    }

    /// <summary>A finished call of <paramref name="caller"/> with an archived recording, as the webhooks and the copy job leave it.</summary>
    private async Task<CallRecord> ArchivedCallAsync(string caller, byte[] audio)
    {
        var call = new CallRecord
        {
            PartitionKey = TestServices.UniqueId("CON"),
            CallerNumber = caller,
            TrackingNumber = TestNumbers.London(),
            InboundStartTime = DateTimeOffset.UtcNow,
            CompletedAt = DateTimeOffset.UtcNow,
            RecordingUrl = "https://api.nexmo.com/v1/files/" + Guid.NewGuid(),
            RecordingContentType = "audio/mpeg",
        };
        call.RecordingBlob = $"unassigned/{call.InboundStartTime:yyyy}/{call.InboundStartTime:MM}/{call.PartitionKey}.mp3";
        await host.Azurite.BlobService().GetBlobContainerClient(StorageNames.RecordingsContainer).UploadBlobAsync(call.RecordingBlob, BinaryData.FromBytes(audio));
        await host.Tables.GetTableClient(StorageNames.CallsTable).AddEntityAsync(call);
        return call;
    }

    [Fact]
    public async Task The_recording_route_redirects_to_our_copy_with_the_function_key_and_is_404_without_one()
    {
        var audio = System.Text.Encoding.ASCII.GetBytes("ID3 end-to-end " + Guid.NewGuid());
        var call = await ArchivedCallAsync(TestNumbers.UkMobile(), audio);
        var path = $"api/calls/{call.PartitionKey}/recording";

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, path, key: null)).StatusCode);
        var redirect = await SendAsync(HttpMethod.Get, path, Function);
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        var location = redirect.Headers.Location!;
        Assert.Contains("sig=", location.Query, StringComparison.Ordinal);
        Assert.Contains("sp=r", location.Query, StringComparison.Ordinal); // read only
        using (var blob = new HttpClient())
        {
            Assert.Equal(audio, await blob.GetByteArrayAsync(location));
        }

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"api/calls/{TestServices.UniqueId("CON")}/recording", Function)).StatusCode);
    }

    [Fact]
    public async Task Export_and_erasure_need_the_master_key_and_erase_the_recording()
    {
        var caller = TestNumbers.UkMobile();
        var call = await ArchivedCallAsync(caller, [1, 2, 3]);
        var encoded = Uri.EscapeDataString(caller);

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, $"api/callers/{encoded}/data", Function)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Delete, $"api/callers/{encoded}", Function)).StatusCode);
        Assert.Equal(caller, (await host.Tables.GetTableClient(StorageNames.CallsTable).GetEntityAsync<TableEntity>(call.PartitionKey, CallRecord.RowKeyValue)).Value.GetString("CallerNumber"));

        var export = await SendAsync(HttpMethod.Get, $"api/callers/{encoded}/data", Master);
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        using (var document = JsonDocument.Parse(await export.Content.ReadAsStringAsync()))
        {
            Assert.Equal(call.RecordingBlob, document.RootElement.GetProperty("recordings")[0].GetString());
        }

        var erase = await SendAsync(HttpMethod.Delete, $"api/callers/{TestNumbers.Digits(caller)}?by=ticket-7", Master);
        Assert.Equal(HttpStatusCode.OK, erase.StatusCode);
        using (var document = JsonDocument.Parse(await erase.Content.ReadAsStringAsync()))
        {
            Assert.Equal(1, document.RootElement.GetProperty("calls").GetInt32());
            Assert.Equal(1, document.RootElement.GetProperty("recordingsDeleted").GetInt32());
        }

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"api/calls/{call.PartitionKey}/recording", Function)).StatusCode);
    }

    [Theory]
    [InlineData("GET", "api/callers/not-a-number/data")]
    [InlineData("DELETE", "api/callers/12")]
    public async Task A_bad_number_is_a_400_naming_the_field(string method, string path)
    {
        var response = await SendAsync(new HttpMethod(method), path, Master);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"number\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

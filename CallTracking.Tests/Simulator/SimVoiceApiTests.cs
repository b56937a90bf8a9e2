using System.Net;
using System.Text;
using CallTracking.Simulator;
using Xunit;

namespace CallTracking.Tests.Simulator;

public class SimVoiceApiTests
{
    [Fact]
    public async Task Records_each_transfer_in_order_and_answers_204()
    {
        await using var api = SimVoiceApi.Start();
        using var http = new HttpClient { BaseAddress = new Uri(api.BaseUrl) };
        var body = Encoding.UTF8.GetBytes("{\"action\":\"transfer\"}");

        var first = await http.PutAsync(new Uri("/v1/calls/leg-a", UriKind.Relative), new ByteArrayContent(body));
        var second = await http.PutAsync(new Uri("/v1/calls/leg-b", UriKind.Relative), new ByteArrayContent(body));
        var other = await http.GetAsync(new Uri("/v1/calls/leg-a", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal([new VoiceApiTransfer("leg-a", "{\"action\":\"transfer\"}"), new VoiceApiTransfer("leg-b", "{\"action\":\"transfer\"}")], api.Transfers);
    }

    [Fact]
    public async Task Keeps_each_transfers_authorization_and_serves_recordings()
    {
        await using var api = SimVoiceApi.Start();
        using var http = new HttpClient { BaseAddress = new Uri(api.BaseUrl) };
        using var put = new HttpRequestMessage(HttpMethod.Put, new Uri("/v1/calls/leg-a", UriKind.Relative)) { Content = new ByteArrayContent("{}"u8.ToArray()) };
        put.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "a.b.c");

        Assert.Equal(HttpStatusCode.NoContent, (await http.SendAsync(put)).StatusCode);
        var recording = await http.GetAsync(new Uri(api.RecordingBaseUrl + "file-1"));

        Assert.Equal("Bearer a.b.c", Assert.Single(api.Transfers).Authorization);
        Assert.Equal(HttpStatusCode.OK, recording.StatusCode);
        Assert.Equal("audio/mpeg", recording.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(await recording.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, api.RecordingDownloads);
        Assert.StartsWith(api.BaseUrl + "/v1/files/", api.RecordingBaseUrl, StringComparison.Ordinal);
    }
}

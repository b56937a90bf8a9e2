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
}

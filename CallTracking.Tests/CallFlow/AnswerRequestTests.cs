using System.Text;
using CallTracking.Functions.CallFlow;
using Xunit;

namespace CallTracking.Tests.CallFlow;

public class AnswerRequestTests
{
    [Fact]
    public void Reads_the_GET_query()
    {
        var request = AnswerRequest.FromQuery("?from=447700900999&to=447700900001&uuid=leg-1&conversation_uuid=CON-1&region_url=https%3A%2F%2Fapi-eu-3.vonage.com");
        Assert.Equal(new AnswerRequest("447700900001", "447700900999", "leg-1", "CON-1", "https://api-eu-3.vonage.com"), request);
    }

    [Fact]
    public void Reads_an_escaped_plus()
    {
        Assert.Equal("+447700900001", AnswerRequest.FromQuery("to=%2B447700900001").To);
    }

    [Fact]
    public void Reads_the_POST_body_and_ignores_other_fields()
    {
        var body = """{"endpoint_type":"phone","custom_data":{"to":"nested"},"to":"447700900001","from":"447700900999","uuid":"leg-1","conversation_uuid":"CON-1","headers":{}}""";
        var request = AnswerRequest.FromJson(Encoding.UTF8.GetBytes(body));
        Assert.Equal(new AnswerRequest("447700900001", "447700900999", "leg-1", "CON-1"), request);
    }

    [Fact]
    public void A_body_that_is_not_an_object_is_rejected()
    {
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => AnswerRequest.FromJson("[1]"u8));
    }
}

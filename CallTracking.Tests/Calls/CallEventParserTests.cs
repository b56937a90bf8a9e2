using System.Text;
using CallTracking.Functions.Calls;
using CallTracking.Functions.Common;
using CallTracking.Functions.Vonage;
using Xunit;

namespace CallTracking.Tests.Calls;

public class CallEventParserTests
{
    private static VonageEvent Parse(string json) => CallEventParser.ParseEvent(Encoding.UTF8.GetBytes(json));

    private static string FieldOf(string json, bool recording = false)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var error = Assert.Throws<ValidationException>(() => recording ? CallEventParser.ParseRecording(bytes) : CallEventParser.ParseEvent(bytes));
        return Assert.Single(error.Errors).Field;
    }

    [Theory]
    [InlineData("""{"status":"\ud800","uuid":"u1","conversation_uuid":"CON-1"}""", "status")]
    [InlineData("""{"status":"../../etc/passwd","uuid":"u1","conversation_uuid":"CON-1"}""", "status")]
    [InlineData("""{"status":"<script>","uuid":"u1","conversation_uuid":"CON-1"}""", "status")]
    [InlineData("""{"status":"started","uuid":42,"conversation_uuid":"CON-1"}""", "uuid")]
    [InlineData("""{"status":"started","uuid":"u1","conversation_uuid":true}""", "conversation_uuid")]
    public void Hostile_statuses_and_non_string_ids_are_rejected_naming_the_field(string json, string field)
    {
        // Found by the bad-input sweep: such statuses reached a table key (a 503), numbers were taken as ids.
        Assert.Equal(field, FieldOf(json));
    }

    [Fact]
    public void A_completed_event_with_string_numbers_is_read_invariantly()
    {
        var e = Parse("""
            {"from":"447700900123","to":"442079460000","uuid":"aaaa-1","conversation_uuid":"CON-1","status":"completed",
             "direction":"inbound","timestamp":"2020-01-01T12:00:10.000Z","start_time":"2020-01-01T12:00:00.000Z",
             "end_time":"2020-01-01T12:00:10.000Z","duration":"10","rate":"0.00450000","price":"0.00075000","network":"GB-FIXED"}
            """);

        Assert.Equal(VonageEventKind.Status, e.Kind);
        Assert.Equal("completed", e.Status);
        Assert.Equal("aaaa-1", e.Uuid);
        Assert.Equal("inbound", e.Direction);
        Assert.Equal(10, e.DurationSeconds);
        Assert.Equal(0.0045, e.Rate);
        Assert.Equal(0.00075, e.Price);
        Assert.Equal(new DateTimeOffset(2020, 1, 1, 12, 0, 10, TimeSpan.Zero), e.Timestamp);
    }

    [Fact]
    public void Numbers_sent_as_json_numbers_and_empty_strings_are_tolerated()
    {
        var e = Parse("""{"uuid":"a","conversation_uuid":"CON-1","status":"answered","duration":12,"price":0.5,"rate":"","network":""}""");

        Assert.Equal(12, e.DurationSeconds);
        Assert.Equal(0.5, e.Price);
        Assert.Null(e.Rate);
        Assert.Null(e.Network);
    }

    [Fact]
    public void Machine_detection_uses_call_uuid()
    {
        var e = Parse("""{"call_uuid":"leg-9","conversation_uuid":"CON-1","status":"human","timestamp":"2020-01-01T12:00:00Z"}""");

        Assert.Equal("leg-9", e.Uuid);
        Assert.Equal("call_uuid", FieldOf("""{"conversation_uuid":"CON-1","status":"machine"}"""));
    }

    [Theory]
    [InlineData("""{"conversation_uuid":"CON-1","recording_url":"https://api.nexmo.com/v1/files/x","recording_uuid":"r1"}""", VonageEventKind.Record)]
    [InlineData("""{"conversation_uuid":"CON-1","uuid":"a","dtmf":{"digits":"1","timed_out":false}}""", VonageEventKind.Input)]
    [InlineData("""{"conversation_uuid_from":"CON-0","conversation_uuid_to":"CON-1","uuid":"a"}""", VonageEventKind.Transfer)]
    [InlineData("""{"conversation_uuid":"CON-1","reason":"Syntax error in NCCO"}""", VonageEventKind.Error)]
    public void Non_status_payloads_are_recognised_and_need_no_leg_uuid(string json, VonageEventKind kind)
    {
        var e = Parse(json);

        Assert.Equal(kind, e.Kind);
        Assert.Equal("CON-1", e.ConversationUuid);
    }

    [Theory]
    [InlineData("not json", "body")]
    [InlineData("[1,2]", "body")]
    [InlineData("""{"status":"ringing","uuid":"a"}""", "conversation_uuid")]
    [InlineData("""{"status":"ringing","conversation_uuid":"CON-1"}""", "uuid")]
    [InlineData("""{"status":"ringing","conversation_uuid":"CON-1","uuid":""}""", "uuid")]
    [InlineData("""{"status":"ringing","conversation_uuid":"CON/../1","uuid":"a"}""", "conversation_uuid")]
    [InlineData("""{"status":"completed","conversation_uuid":"CON-1","uuid":"a","price":"abc"}""", "price")]
    [InlineData("""{"status":"completed","conversation_uuid":"CON-1","uuid":"a","duration":"1e40"}""", "duration")]
    [InlineData("""{"status":"completed","conversation_uuid":"CON-1","uuid":"a","timestamp":"yesterday"}""", "timestamp")]
    public void Bad_event_input_names_the_field(string json, string field) => Assert.Equal(field, FieldOf(json));

    [Theory]
    [InlineData("""{"recording_uuid":"r1","recording_url":"https://api.nexmo.com/v1/files/x"}""", "conversation_uuid")]
    [InlineData("""{"conversation_uuid":"CON-1","recording_uuid":"r1"}""", "recording_url")]
    [InlineData("""{"conversation_uuid":"CON-1","recording_uuid":"r1","recording_url":"ftp://x/y"}""", "recording_url")]
    [InlineData("""{"conversation_uuid":"CON-1","recording_url":"https://api.nexmo.com/v1/files/x"}""", "recording_uuid")]
    [InlineData("""{"conversation_uuid":"CON-1","recording_uuid":"r1","recording_url":"https://api.nexmo.com/v1/files/x","size":"big"}""", "size")]
    public void Bad_recording_input_names_the_field(string json, string field) => Assert.Equal(field, FieldOf(json, recording: true));

    [Theory]
    [InlineData("https://api.nexmo.com/v1/files/x", true)]
    [InlineData("https://api-us.nexmo.com/v1/files/x", true)]
    [InlineData("https://api-eu-3.vonage.com/v1/files/x", true)]
    [InlineData("http://api.nexmo.com/v1/files/x", false)]
    [InlineData("https://api.nexmo.com:8443/v1/files/x", false)]
    [InlineData("https://user:pw@api.nexmo.com/v1/files/x", false)]
    [InlineData("https://api.nexmo.com.evil.example/v1/files/x", false)]
    [InlineData("https://evilnexmo.com/v1/files/x", false)]
    [InlineData("https://169.254.169.254/latest/meta-data/", false)]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/", false)]
    [InlineData("//api.nexmo.com/v1/files/x", false)]
    public void Recording_urls_must_point_at_a_Vonage_api_host(string url, bool accepted)
    {
        var bytes = Encoding.UTF8.GetBytes($$"""{"conversation_uuid":"CON-1","recording_uuid":"r1","recording_url":"{{url}}"}""");
        Assert.Equal(accepted, VonageHosts.IsVonageApiUrl(url));

        // A record action without its own eventUrl reports on the event webhook: the same rule applies there.
        foreach (var parse in new Func<byte[], VonageEvent>[] { b => CallEventParser.ParseRecording(b), b => CallEventParser.ParseEvent(b) })
        {
            if (accepted)
            {
                Assert.Equal(url, parse(bytes).RecordingUrl);
            }
            else
            {
                Assert.Equal("recording_url", Assert.Single(Assert.Throws<ValidationException>(() => parse(bytes)).Errors).Field);
            }
        }
    }
}

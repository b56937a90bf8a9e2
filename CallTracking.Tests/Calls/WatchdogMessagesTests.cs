using System.Text;
using System.Text.Json;
using CallTracking.Functions.Calls;
using Xunit;

namespace CallTracking.Tests.Calls;

public class WatchdogMessagesTests
{
    // A queue message holds 64 KiB once Base64-encoded, as the queue trigger's messages are.
    private const int QueueMessageLimit = 64 * 1024;

    private static int Base64Length(CallWatchdogMessage message) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message))).Length;

    [Fact]
    public void A_batch_of_typical_call_ids_goes_in_one_message()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => "CON-" + Guid.NewGuid()).ToList();

        var message = Assert.Single(WatchdogMessages.Split(ids));

        Assert.Equal(ids, message.AllCallIds());
        Assert.True(Base64Length(message) < 8 * 1024);
    }

    [Fact]
    public void Long_call_ids_are_split_into_messages_that_each_fit_a_queue_message()
    {
        // Ids as long as a table key allows, some with characters the serializer escapes: JSON grows up to 6 × per character.
        var ids = Enumerable.Range(0, 100).Select(i => (i % 3 == 0 ? "é<" : "c-") + i + new string(i % 2 == 0 ? 'x' : 'ü', 1000)).ToList();

        var messages = WatchdogMessages.Split(ids).ToList();

        Assert.True(messages.Count > 1);
        Assert.All(messages, m => Assert.True(Base64Length(m) <= QueueMessageLimit, $"{Base64Length(m)} characters"));
        Assert.Equal(ids, messages.SelectMany(m => m.AllCallIds()));
    }

    [Fact]
    public void No_ids_make_no_message() => Assert.Empty(WatchdogMessages.Split([]));
}

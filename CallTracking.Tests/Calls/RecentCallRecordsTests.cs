using CallTracking.Functions.Calls;
using Xunit;

namespace CallTracking.Tests.Calls;

public class RecentCallRecordsTests
{
    [Fact]
    public void A_remembered_row_comes_back_as_a_private_copy()
    {
        var recent = new RecentCallRecords();
        var call = new CallRecord { PartitionKey = "CON-1", InboundStatus = "ringing" };
        recent.Remember(call);
        call.InboundStatus = "answered"; // the caller's object changes later: the remembered row does not

        var copy = recent.TryGet("CON-1")!;
        copy.AgentStatus = "ringing";

        Assert.Equal("ringing", copy.InboundStatus);
        Assert.Null(recent.TryGet("CON-1")!.AgentStatus);
        Assert.Null(recent.TryGet("CON-2"));
    }

    [Fact]
    public void Forgotten_rows_are_gone()
    {
        var recent = new RecentCallRecords();
        recent.Remember(new CallRecord { PartitionKey = "CON-1" });

        recent.Forget("CON-1");

        Assert.Null(recent.TryGet("CON-1"));
    }

    [Fact]
    public void The_map_keeps_between_one_and_two_generations()
    {
        var entries = new RecentEntries<string>(generationSize: 3);
        foreach (var key in new[] { "a", "b", "c", "d", "e", "f", "g" })
        {
            entries.Set(key, key);
        }

        // a, b, c filled the first generation, d, e, f the second, g starts the third: the first is dropped.
        Assert.Null(entries.TryGet("a"));
        Assert.Null(entries.TryGet("c"));
        Assert.Equal("d", entries.TryGet("d"));
        Assert.Equal("f", entries.TryGet("f"));
        Assert.Equal("g", entries.TryGet("g"));

        entries.Set("g", "g2"); // an update is not a new entry
        Assert.Equal("g2", entries.TryGet("g"));
    }
}

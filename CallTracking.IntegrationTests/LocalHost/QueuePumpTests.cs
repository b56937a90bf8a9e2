using Azure.Storage.Queues;
using CallTracking.LocalHost.Configuration;
using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Queues;
using CallTracking.LocalHost.Rpc;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace CallTracking.Tests.LocalHost;

/// <summary>The queue pump's host semantics against a real Azurite, with a fake worker behind the invoker.</summary>
[Collection(AzuriteCollection.Name)]
public class QueuePumpTests(AzuriteFixture azurite)
{
    private readonly string _queue = TestServices.UniqueId("q").ToLowerInvariant();

    [Fact]
    public async Task Success_deletes_the_message_and_passes_body_and_dequeue_count_as_the_host_does()
    {
        var worker = new FakeWorker(_ => FakeWorker.Success());
        var pump = Pump(worker, new QueueOptions());
        await SendAsync("""{"callId":"c-1"}""");

        Assert.Equal(1, await pump.PollOnceAsync(CancellationToken.None));

        var request = Assert.Single(worker.Requests);
        Assert.Equal("message", request.InputData[0].Name);
        Assert.Equal("""{"callId":"c-1"}""", request.InputData[0].Data.String);
        Assert.Equal("""{"callId":"c-1"}""", request.TriggerMetadata["QueueTrigger"].String);
        // Numbers as JSON: the worker rejects TypedData.int.
        Assert.Equal("1", request.TriggerMetadata["DequeueCount"].Json);
        Assert.False(string.IsNullOrEmpty(request.TriggerMetadata["Id"].String));
        Assert.False(string.IsNullOrEmpty(request.TriggerMetadata["PopReceipt"].String));
        Assert.StartsWith("\"", request.TriggerMetadata["InsertionTime"].Json, StringComparison.Ordinal);
        Assert.NotNull(request.TraceContext);
        Assert.Equal(0, await CountAsync(_queue));
        Assert.Equal(0, await CountAsync(_queue + "-poison"));
    }

    [Fact]
    public async Task Failure_makes_the_message_visible_again_only_after_the_visibility_timeout()
    {
        var worker = new FakeWorker(_ => FakeWorker.Failure("transient"));
        var pump = Pump(worker, new QueueOptions { VisibilityTimeout = TimeSpan.FromMinutes(5) });
        await SendAsync("m");

        await pump.PollOnceAsync(CancellationToken.None);

        // Still on the queue, not poisoned, but hidden for the visibility timeout.
        Assert.Equal(1, await ApproximateCountAsync(_queue));
        Assert.Empty((await RawQueue(_queue).PeekMessagesAsync(10)).Value);
        Assert.Equal(0, await CountAsync(_queue + "-poison"));
    }

    [Fact]
    public async Task Failed_messages_move_to_poison_after_max_dequeue_count_with_rising_dequeue_counts()
    {
        var worker = new FakeWorker(_ => FakeWorker.Failure("permanent"));
        var pump = Pump(worker, new QueueOptions { VisibilityTimeout = TimeSpan.Zero, MaxDequeueCount = 3 });
        await SendAsync("bad one");

        for (var attempt = 0; attempt < 3; attempt++)
        {
            Assert.Equal(1, await pump.PollOnceAsync(CancellationToken.None));
        }

        Assert.Equal(0, await pump.PollOnceAsync(CancellationToken.None));
        Assert.Equal(["1", "2", "3"], worker.Requests.Select(r => r.TriggerMetadata["DequeueCount"].Json));
        Assert.Equal(0, await CountAsync(_queue));
        var poisoned = Assert.Single((await Queue(_queue + "-poison").ReceiveMessagesAsync(10)).Value);
        Assert.Equal("bad one", poisoned.Body.ToString());
    }

    [Fact]
    public async Task A_body_that_is_not_base64_goes_straight_to_poison_without_invoking()
    {
        var worker = new FakeWorker(_ => FakeWorker.Success());
        var pump = Pump(worker, new QueueOptions());
        await RawQueue(_queue).SendMessageAsync("not base64 at all!");

        await pump.PollOnceAsync(CancellationToken.None);

        Assert.Empty(worker.Requests);
        Assert.Equal(0, await CountAsync(_queue));
        Assert.Equal(1, await CountAsync(_queue + "-poison"));
    }

    [Fact]
    public async Task Queue_outputs_are_written_and_json_arrays_fan_out()
    {
        var output = _queue + "-out";
        var worker = new FakeWorker(_ => FakeWorker.Success(new TypedData { Json = """["a",{"n":1},null]""" }));
        var pump = Pump(worker, new QueueOptions(), $$"""{"name":"$return","type":"queue","direction":"Out","queueName":"{{output}}"}""");
        await SendAsync("go");

        await pump.PollOnceAsync(CancellationToken.None);

        var messages = (await Queue(output).ReceiveMessagesAsync(10)).Value.Select(m => m.Body.ToString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["a", """{"n":1}"""], messages);
    }

    [Fact]
    public void Poison_queue_name_follows_the_host_rules()
    {
        Assert.Equal("calls-completed-poison", QueuePump.PoisonQueueFor("calls-completed"));
        Assert.Null(QueuePump.PoisonQueueFor("calls-completed-poison"));
        Assert.Null(QueuePump.PoisonQueueFor(new string('q', 60)));
    }

    private QueuePump Pump(FakeWorker worker, QueueOptions options, params string[] outputBindings)
    {
        var function = FakeWorker.Function("Process",
            [$$"""{"name":"message","type":"queueTrigger","direction":"In","queueName":"{{_queue}}","dataType":"String"}""", .. outputBindings]);
        var connections = new QueueConnections(name => name == FunctionCatalog.DefaultConnection ? azurite.ConnectionString : null, base64: true);
        return new QueuePump(function, connections, options, worker, new QueueOutputWriter(connections), TimeSpan.FromMinutes(1),
            NullLogger.Instance);
    }

    private async Task SendAsync(string text)
    {
        var queue = Queue(_queue);
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync(text);
    }

    /// <summary>The app's own queue client: base64, like every producer in the app.</summary>
    private QueueClient Queue(string name) => azurite.QueueService().GetQueueClient(name);

    private QueueClient RawQueue(string name)
    {
        var client = new QueueClient(azurite.ConnectionString, name);
        client.CreateIfNotExists();
        return client;
    }

    private async Task<int> CountAsync(string name)
    {
        var queue = RawQueue(name);
        return (await queue.PeekMessagesAsync(32)).Value.Length;
    }

    private async Task<int> ApproximateCountAsync(string name) =>
        (await RawQueue(name).GetPropertiesAsync()).Value.ApproximateMessagesCount;

}

using System.Collections.Concurrent;
using Azure.Storage.Queues;
using CallTracking.LocalHost.Configuration;
using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Queues;
using CallTracking.LocalHost.Rpc;
using CallTracking.LocalHost.Worker;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit;
using Xunit.Abstractions;

namespace CallTracking.Tests.LocalHost;

/// <summary>
/// The queue pump's running loop across storage outages: a restarted (disk-persisted) Azurite of its own, a pump
/// running as in the host, and a worker stand-in. Waits poll generously (a loaded 2-core machine), never time.
/// </summary>
public sealed class QueuePumpOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(150);

    /// <summary>Longer than the queue client's own retries of one request take (a 15 s outage does not outlast them).</summary>
    private static readonly TimeSpan OutageLongerThanSettleRetriesOfTheClient = TimeSpan.FromSeconds(40);

    /// <summary>A restarted Azurite in the soak took 16 s to listen again on a loaded machine.</summary>
    private static readonly TimeSpan OutageLongerThanClientRetries = TimeSpan.FromSeconds(15);

    private readonly PersistentAzuriteFixture _azurite = new();
    private readonly string _queue = TestServices.UniqueId("outage").ToLowerInvariant();
    private readonly CapturedLogs _log = new();

    public Task InitializeAsync() => _azurite.InitializeAsync();

    public Task DisposeAsync() => _azurite.DisposeAsync();

    [Fact]
    public async Task The_pump_keeps_processing_after_storage_was_down_and_came_back()
    {
        var worker = new ScriptedWorker();
        await using var pump = StartPump(worker);
        await SendAsync("before");
        await WaitUntilAsync(async () => worker.Bodies.Contains("before") && await ApproximateCountAsync() == 0, "the first message is processed");

        // A hard outage (killed, so nothing is flushed), longer than the storage client's own retries, then storage is back.
        await _azurite.StopAsync();
        await Task.Delay(OutageLongerThanClientRetries);
        await _azurite.StartAsync();
        await SendAsync("after");

        await WaitUntilAsync(async () => worker.Bodies.Contains("after") && await ApproximateCountAsync() == 0, "a message sent after the restart is processed");
        Assert.Equal(1, worker.Bodies.Count(b => b == "after"));
    }

    [Fact]
    public async Task A_message_processed_while_storage_goes_down_is_settled_once_storage_is_back()
    {
        // The invocation succeeds, but storage is down when the pump deletes the message: the delete must be retried
        // (the pop receipt stays valid for the processing visibility), not dropped, which would hide the message
        // for minutes and then run it a second time.
        var worker = new ScriptedWorker(async body =>
        {
            if (body == "during")
            {
                await _azurite.StopGracefullyAsync(TimeSpan.FromSeconds(60));
                _ = RestartLaterAsync(OutageLongerThanSettleRetriesOfTheClient);
            }
        });
        await using var pump = StartPump(worker);
        await SendAsync("during");

        await WaitUntilAsync(async () => worker.Bodies.Contains("during") && await ApproximateCountAsync() == 0,
            "the message is deleted after storage is back");
        await SendAsync("next");
        await WaitUntilAsync(async () => worker.Bodies.Contains("next") && await ApproximateCountAsync() == 0, "the next message is processed");
        Assert.Equal(1, worker.Bodies.Count(b => b == "during"));
        Assert.Contains(_log.Entries, e => e.Message.Contains("storage", StringComparison.OrdinalIgnoreCase) && e.Level == LogLevel.Warning);
    }

    private async Task RestartLaterAsync(TimeSpan after)
    {
        await Task.Delay(after);
        await _azurite.StartAsync();
    }

    private RunningPump StartPump(IFunctionInvoker worker)
    {
        var function = FakeWorker.Function("Process",
            $$"""{"name":"message","type":"queueTrigger","direction":"In","queueName":"{{_queue}}","dataType":"String"}""");
        var connections = new QueueConnections(name => name == FunctionCatalog.DefaultConnection ? _azurite.ConnectionString : null, base64: true);
        var options = new QueueOptions { MaxPollingInterval = TimeSpan.FromMilliseconds(500), VisibilityTimeout = TimeSpan.Zero };
        var logger = LoggerFactory.Create(b => b.AddProvider(_log).SetMinimumLevel(LogLevel.Debug)).CreateLogger("pump");
        var pump = new QueuePump(function, connections, options, worker, new QueueOutputWriter(connections), TimeSpan.FromMinutes(5), logger);
        var stop = new CancellationTokenSource();
        return new RunningPump(Task.Run(() => pump.RunAsync(stop.Token)), stop, () => output.WriteLine(PumpLog()));
    }

    private async Task SendAsync(string text)
    {
        var queue = _azurite.QueueService().GetQueueClient(_queue);
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync(text);
    }

    /// <summary>Visible and invisible messages: a message stranded invisible still counts.</summary>
    private async Task<int> ApproximateCountAsync()
    {
        var queue = new QueueClient(_azurite.ConnectionString, _queue);
        return (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                // Storage may still be starting.
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not true after {Patience}: {what}. Pump log:\n{PumpLog()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }

    private string PumpLog() => string.Join("\n", _log.Entries.Select(e => $"{e.Level}: {e.Message}"));

    private sealed class RunningPump(Task loop, CancellationTokenSource stop, Action printLog) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await loop.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(loop.IsCompletedSuccessfully, "the pump loop ended cleanly");
            stop.Dispose();
            printLog();
        }
    }

    /// <summary>Records each invocation's message body, runs an optional step, then succeeds.</summary>
    private sealed class ScriptedWorker(Func<string, Task>? during = null) : IFunctionInvoker
    {
        private readonly ConcurrentQueue<string> _bodies = new();

        public IReadOnlyList<string> Bodies => [.. _bodies];

        public async Task<InvocationResponse> InvokeAsync(InvocationRequest request, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var body = request.InputData[0].Data.String;
            _bodies.Enqueue(body);
            if (during is not null)
            {
                await during(body);
            }

            var response = FakeWorker.Success();
            response.InvocationId = request.InvocationId;
            return response;
        }
    }
}

using Azure.Storage.Queues;
using CallTracking.Functions.Common;
using CallTracking.LocalHost.Configuration;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.LocalHost;

/// <summary>Queue triggers end to end: the host pumps calls-completed into the real ProcessCompletedCall function.</summary>
[Collection(FunctionsHostCollection.Name)]
public class QueueEndToEndTests(FunctionsHostFixture host)
{
    [Fact]
    public async Task A_message_that_fails_max_dequeue_count_times_lands_in_the_poison_queue()
    {
        var marker = TestServices.UniqueId("poison");
        // Valid base64 JSON, but without a callId: the function throws on every attempt.
        var queue = host.Queues.GetQueueClient(StorageNames.CallsCompletedQueue);
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync($$"""{"notACallId":"{{marker}}"}""");

        var poison = host.Queues.GetQueueClient(StorageNames.CallsCompletedPoisonQueue);
        var found = await EventuallyAsync(async () =>
        {
            if (!await poison.ExistsAsync())
            {
                return false;
            }

            var messages = (await poison.PeekMessagesAsync(32)).Value;
            return messages.Any(m => m.Body.ToString().Contains(marker, StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(60));

        Assert.True(found, "the failing message did not reach calls-completed-poison. Host log:\n" + host.Log);
        // host.json's maxDequeueCount attempts (failed messages are visible again at once here), each reported as a
        // failure by the host (dequeue count 1..n of n).
        var maxDequeueCount = HostJson.Parse(File.ReadAllText(RepositoryPaths.Combine("host.json"))).Queues.MaxDequeueCount;
        Assert.Contains($"{maxDequeueCount}/{maxDequeueCount}", host.Log, StringComparison.Ordinal);
    }

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(200);
        }

        return await condition();
    }
}

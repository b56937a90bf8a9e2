using CallTracking.Functions.Common;
using CallTracking.Functions.HoldQueue;
using Microsoft.Azure.Functions.Worker;

namespace CallTracking.Functions.Functions;

/// <summary>The hold queue's delayed checks: a caller's maximum wait, and an agent found busy on answer re-checked.</summary>
public sealed class HoldQueueFunction(HoldQueueService holdQueue)
{
    [Function("HoldQueueCheck")]
    public Task Run(
        [QueueTrigger(StorageNames.HoldQueueQueue, Connection = StorageNames.StorageConnection)] HoldQueueMessage message,
        CancellationToken cancellationToken) => message switch
        {
            { Kind: HoldQueueMessage.Timeout, LegUuid: { Length: > 0 } leg } => holdQueue.TimeOutAsync(leg, cancellationToken),
            { Kind: HoldQueueMessage.Dispatch, AgentNumber: { Length: > 0 } agent } => holdQueue.DispatchAsync(agent, null, cancellationToken),
            _ => throw new InvalidOperationException("A hold-queue message needs kind timeout with legUuid, or dispatch with agentNumber."),
        };
}

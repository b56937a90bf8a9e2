using System.Net;
using Azure;
using Azure.Data.Tables;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.HoldQueue;

/// <summary>Reads and conditional writes of the <c>Agents</c> (availability, wait lists) and <c>HoldCalls</c> tables.</summary>
public sealed class HoldQueueStore(TableServiceClient tables)
{
    private readonly TableClient _agents = tables.GetTableClient(StorageNames.AgentsTable);
    private readonly TableClient _holdCalls = tables.GetTableClient(StorageNames.HoldCallsTable);

    public async Task<AgentState?> GetAgentAsync(string agent, CancellationToken cancellationToken)
    {
        var row = await _agents.GetEntityIfExistsAsync<AgentState>(agent, AgentState.RowKeyValue, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>Adds or replaces (ETag-conditional) the agent row; a lost race throws for <see cref="OptimisticConcurrency"/>.</summary>
    public async Task SaveAgentAsync(AgentState state, bool isNew, CancellationToken cancellationToken)
    {
        var response = isNew
            ? await _agents.AddEntityAsync(state, cancellationToken)
            : await _agents.UpdateEntityAsync(state, state.ETag, TableUpdateMode.Replace, cancellationToken);
        state.ETag = response.Headers.ETag ?? default;
    }

    /// <summary>The longest-waiting caller of the agent, or null.</summary>
    public async Task<WaitEntry?> FirstWaitingAsync(string agent, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {agent} and RowKey ge {WaitEntry.Prefix} and RowKey lt {"wait}"}");
        await foreach (var entry in _agents.QueryAsync<WaitEntry>(filter, maxPerPage: 1, cancellationToken: cancellationToken))
        {
            return entry;
        }

        return null;
    }

    public async Task<WaitEntry?> GetWaitAsync(string agent, string rowKey, CancellationToken cancellationToken)
    {
        var row = await _agents.GetEntityIfExistsAsync<WaitEntry>(agent, rowKey, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    public Task AddWaitAsync(WaitEntry entry, CancellationToken cancellationToken) =>
        _agents.UpsertEntityAsync(entry, TableUpdateMode.Replace, cancellationToken);

    /// <summary>
    /// Takes <paramref name="entry"/> off the list and gives the agent to its caller, in one entity-group transaction:
    /// exactly one of any concurrent takers wins; a loser throws a lost race (the row changed or is gone).
    /// </summary>
    public async Task TakeAsync(AgentState state, bool isNew, WaitEntry entry, CancellationToken cancellationToken)
    {
        TableTransactionAction[] actions =
        [
            isNew ? new TableTransactionAction(TableTransactionActionType.Add, state)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, state, state.ETag),
            new TableTransactionAction(TableTransactionActionType.Delete, entry, entry.ETag),
        ];
        await _agents.SubmitTransactionAsync(actions, cancellationToken);
    }

    /// <summary>Deletes a wait entry; false when it was already gone (taken by a transfer or the timeout).</summary>
    public async Task<bool> TryRemoveWaitAsync(string agent, string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            await _agents.DeleteEntityAsync(agent, rowKey, ETag.All, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == (int)HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task<HoldCall?> GetHoldCallAsync(string legUuid, CancellationToken cancellationToken)
    {
        var row = await _holdCalls.GetEntityIfExistsAsync<HoldCall>(legUuid, HoldCall.RowKeyValue, cancellationToken: cancellationToken);
        return row.HasValue ? row.Value : null;
    }

    /// <summary>Adds or replaces (ETag-conditional) a hold call; a lost race throws for <see cref="OptimisticConcurrency"/>.</summary>
    public async Task SaveHoldCallAsync(HoldCall hold, bool isNew, CancellationToken cancellationToken)
    {
        var response = isNew
            ? await _holdCalls.AddEntityAsync(hold, cancellationToken)
            : await _holdCalls.UpdateEntityAsync(hold, hold.ETag, TableUpdateMode.Replace, cancellationToken);
        hold.ETag = response.Headers.ETag ?? default;
    }
}

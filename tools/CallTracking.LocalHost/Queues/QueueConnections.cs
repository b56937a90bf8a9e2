using System.Collections.Concurrent;
using Azure.Storage.Queues;

namespace CallTracking.LocalHost.Queues;

/// <summary>
/// Queue clients for the storage connections bindings name (<c>AzureWebJobsStorage</c> by default), from the
/// app settings. Locally that is a connection string (Azurite); identity-based connections are an Azure matter.
/// Two clients per queue: a raw one that sees message text as stored, and one with the app's message encoding.
/// </summary>
public sealed class QueueConnections(Func<string, string?> setting, bool base64)
{
    private readonly ConcurrentDictionary<(string Connection, string Queue, bool Raw), Lazy<Task<QueueClient>>> _clients = new();

    public bool Base64 { get; } = base64;

    public bool IsConfigured(string connection) => !string.IsNullOrWhiteSpace(setting(connection));

    /// <summary>A client for <paramref name="queue"/> that exists (created on first use, as the host's bindings do).</summary>
    public Task<QueueClient> GetAsync(string connection, string queue, bool raw, CancellationToken cancellationToken = default) =>
        _clients.GetOrAdd((connection, queue, raw), key => new Lazy<Task<QueueClient>>(() => CreateAsync(key.Connection, key.Queue, key.Raw)))
            .Value.WaitAsync(cancellationToken);

    private async Task<QueueClient> CreateAsync(string connection, string queue, bool raw)
    {
        var connectionString = setting(connection);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"The storage connection '{connection}' is not set: put a connection string in local.settings.json (Azurite: UseDevelopmentStorage=true)");
        }

        var options = new QueueClientOptions
        {
            MessageEncoding = raw || !Base64 ? QueueMessageEncoding.None : QueueMessageEncoding.Base64,
        };
        var client = new QueueClient(connectionString, queue, options);
        try
        {
            await client.CreateIfNotExistsAsync();
        }
        catch
        {
            // Let the next use try again instead of caching the failure.
            _clients.TryRemove((connection, queue, raw), out _);
            throw;
        }

        return client;
    }
}

using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CallTracking.Functions.Common;

/// <summary>
/// Builds the Table and Queue service clients from the same settings the Functions host reads:
/// a connection string locally (Azurite), identity-based service URIs in Azure.
/// </summary>
public static class StorageClients
{
    /// <summary>Registers <see cref="TableServiceClient"/> and <see cref="QueueServiceClient"/> once, as singletons.</summary>
    public static IServiceCollection AddStorageClients(this IServiceCollection services)
    {
        services.AddSingleton(sp => CreateTableServiceClient(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => CreateQueueServiceClient(sp.GetRequiredService<IConfiguration>()));
        return services;
    }

    public static TableServiceClient CreateTableServiceClient(IConfiguration configuration)
    {
        var connection = StorageConnectionSettings.From(configuration);
        return connection.ConnectionString is { } cs
            ? new TableServiceClient(cs)
            : new TableServiceClient(connection.RequireUri("tableServiceUri"), connection.CreateCredential());
    }

    public static QueueServiceClient CreateQueueServiceClient(IConfiguration configuration)
    {
        var connection = StorageConnectionSettings.From(configuration);
        // The Functions queue trigger expects base64 message bodies (host.json messageEncoding).
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        return connection.ConnectionString is { } cs
            ? new QueueServiceClient(cs, options)
            : new QueueServiceClient(connection.RequireUri("queueServiceUri"), connection.CreateCredential(), options);
    }
}

/// <summary>The <c>AzureWebJobsStorage</c> connection in either of its two forms.</summary>
public sealed record StorageConnectionSettings(
    string? ConnectionString,
    Uri? TableServiceUri,
    Uri? QueueServiceUri,
    string? Credential,
    string? ClientId)
{
    public static StorageConnectionSettings From(IConfiguration configuration)
    {
        var name = StorageNames.StorageConnection;
        var section = configuration.GetSection(name);
        var connectionString = configuration[name];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = null;
        }

        var accountName = section["accountName"];
        return new StorageConnectionSettings(
            connectionString,
            ParseUri(section["tableServiceUri"]) ?? AccountUri(accountName, "table"),
            ParseUri(section["queueServiceUri"]) ?? AccountUri(accountName, "queue"),
            section["credential"],
            section["clientId"]);
    }

    public bool IsConfigured => ConnectionString is not null || (TableServiceUri is not null && QueueServiceUri is not null);

    public Uri RequireUri(string key) => key switch
    {
        "tableServiceUri" => TableServiceUri,
        "queueServiceUri" => QueueServiceUri,
        _ => null,
    } ?? throw new InvalidOperationException(
        $"Storage is not configured: set '{StorageNames.StorageConnection}' (a connection string) or '{StorageNames.StorageConnection}__{key}'.");

    public TokenCredential CreateCredential() =>
        string.Equals(Credential, "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(string.IsNullOrEmpty(ClientId)
                ? ManagedIdentityId.SystemAssigned
                : ManagedIdentityId.FromUserAssignedClientId(ClientId))
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = ClientId });

    private static Uri? ParseUri(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri : null;

    private static Uri? AccountUri(string? accountName, string service) =>
        string.IsNullOrWhiteSpace(accountName) ? null : new Uri($"https://{accountName}.{service}.core.windows.net");
}

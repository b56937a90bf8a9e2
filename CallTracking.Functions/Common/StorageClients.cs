using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.Common;

/// <summary>
/// Builds the Table and Queue service clients from the same settings the Functions host reads:
/// a connection string locally (Azurite), identity-based service URIs in Azure.
/// </summary>
public static class StorageClients
{
    /// <summary>
    /// Registers <see cref="TableServiceClient"/> and <see cref="QueueServiceClient"/> once, as singletons, with the
    /// <see cref="StorageInitializer"/> that creates their tables and queues (and recreates a missing one on demand),
    /// and validates the storage settings at start-up (a missing setting stops the app with its name, not on first use).
    /// </summary>
    public static IServiceCollection AddStorageClients(this IServiceCollection services)
    {
        services.AddOptions<StorageConnectionSettings>()
            .Configure<IConfiguration>((settings, configuration) => settings.Load(configuration))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageConnectionSettings>, StorageConnectionSettingsValidator>());
        services.AddSingleton<StorageInitializer>();
        services.AddSingleton(sp => new MissingStorageRecovery(sp.GetRequiredService<StorageInitializer>));
        services.AddSingleton(sp => CreateTableServiceClient(
            sp.GetRequiredService<IOptions<StorageConnectionSettings>>().Value, sp.GetRequiredService<MissingStorageRecovery>()));
        services.AddSingleton(sp => CreateQueueServiceClient(
            sp.GetRequiredService<IOptions<StorageConnectionSettings>>().Value, sp.GetRequiredService<MissingStorageRecovery>()));
        services.AddSingleton(sp => CreateBlobServiceClient(sp.GetRequiredService<IOptions<StorageConnectionSettings>>().Value));
        return services;
    }

    public static TableServiceClient CreateTableServiceClient(IConfiguration configuration) =>
        CreateTableServiceClient(StorageConnectionSettings.From(configuration));

    public static QueueServiceClient CreateQueueServiceClient(IConfiguration configuration) =>
        CreateQueueServiceClient(StorageConnectionSettings.From(configuration));

    public static BlobServiceClient CreateBlobServiceClient(IConfiguration configuration) =>
        CreateBlobServiceClient(StorageConnectionSettings.From(configuration));

    /// <summary>
    /// Recordings. Identity-based in Azure (<c>AzureWebJobsStorage__blobServiceUri</c>, shared keys are off there);
    /// the connection string (with Azurite's key) locally.
    /// </summary>
    public static BlobServiceClient CreateBlobServiceClient(StorageConnectionSettings connection) =>
        connection.ConnectionString is { } cs
            ? new BlobServiceClient(cs)
            : new BlobServiceClient(connection.RequireUri(StorageConnectionSettings.BlobServiceUriKey), connection.TokenCredential);

    /// <param name="recovery">Recreates a missing table on demand; the app's registered client always has it.</param>
    public static TableServiceClient CreateTableServiceClient(StorageConnectionSettings connection, MissingStorageRecovery? recovery = null)
    {
        var options = new TableClientOptions();
        if (recovery is not null)
        {
            options.AddPolicy(recovery, HttpPipelinePosition.PerCall);
        }

        return connection.ConnectionString is { } cs
            ? new TableServiceClient(cs, options)
            : new TableServiceClient(connection.RequireUri(StorageConnectionSettings.TableServiceUriKey), connection.TokenCredential, options);
    }

    /// <param name="recovery">Recreates a missing queue on demand; the app's registered client always has it.</param>
    public static QueueServiceClient CreateQueueServiceClient(StorageConnectionSettings connection, MissingStorageRecovery? recovery = null)
    {
        // The Functions queue trigger expects base64 message bodies (host.json messageEncoding).
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        if (recovery is not null)
        {
            options.AddPolicy(recovery, HttpPipelinePosition.PerCall);
        }

        return connection.ConnectionString is { } cs
            ? new QueueServiceClient(cs, options)
            : new QueueServiceClient(connection.RequireUri(StorageConnectionSettings.QueueServiceUriKey), connection.TokenCredential, options);
    }
}

/// <summary>
/// The <c>AzureWebJobsStorage</c> connection in either of its two forms, read the way the Functions host reads it:
/// the setting's own value is a connection string; otherwise <c>AzureWebJobsStorage__blobServiceUri</c>,
/// <c>__queueServiceUri</c>, <c>__tableServiceUri</c> (or <c>__accountName</c>, public cloud only) with
/// <c>__credential=managedidentity</c> and <c>__clientId</c> for a user-assigned identity.
/// </summary>
public sealed class StorageConnectionSettings
{
    public const string BlobServiceUriKey = "blobServiceUri";
    public const string QueueServiceUriKey = "queueServiceUri";
    public const string TableServiceUriKey = "tableServiceUri";
    public const string AccountNameKey = "accountName";

    // Setting key -> why its value was rejected.
    private readonly Dictionary<string, string> _malformed = [];
    private TokenCredential? _tokenCredential;

    /// <summary>The connection string (Azurite locally); null for an identity-based connection.</summary>
    public string? ConnectionString { get; private set; }

    public string? AccountName { get; private set; }

    public Uri? BlobServiceUri { get; private set; }

    public Uri? TableServiceUri { get; private set; }

    public Uri? QueueServiceUri { get; private set; }

    /// <summary><c>managedidentity</c> in Azure; anything else uses <see cref="DefaultAzureCredential"/> (e.g. a developer's login).</summary>
    public string? Credential { get; private set; }

    /// <summary>Client id of the user-assigned managed identity; empty for the system-assigned one.</summary>
    public string? ClientId { get; private set; }

    public bool IsConfigured => Problems().Count == 0;

    /// <summary>One credential per connection, so both clients share its token cache.</summary>
    public TokenCredential TokenCredential => _tokenCredential ??= CreateCredential();

    public static StorageConnectionSettings From(IConfiguration configuration)
    {
        var settings = new StorageConnectionSettings();
        settings.Load(configuration);
        return settings;
    }

    /// <summary>The setting name as an app setting / environment variable, e.g. <c>AzureWebJobsStorage__tableServiceUri</c>.</summary>
    public static string SettingName(string key) => $"{StorageNames.StorageConnection}__{key}";

    internal void Load(IConfiguration configuration)
    {
        var section = configuration.GetSection(StorageNames.StorageConnection);
        _malformed.Clear();
        ConnectionString = NullIfBlank(section.Value);
        AccountName = NullIfBlank(section[AccountNameKey]);
        Credential = NullIfBlank(section["credential"]);
        ClientId = NullIfBlank(section["clientId"]);
        BlobServiceUri = ServiceUri(section, BlobServiceUriKey, "blob");
        QueueServiceUri = ServiceUri(section, QueueServiceUriKey, "queue");
        TableServiceUri = ServiceUri(section, TableServiceUriKey, "table");
    }

    /// <summary>What is missing or malformed, each naming the setting to fix; empty when the app can reach storage.</summary>
    public IReadOnlyList<string> Problems()
    {
        if (ConnectionString is not null)
        {
            return [];
        }

        var problems = new List<string>(_malformed.Values);
        var missing = new[] { (Key: TableServiceUriKey, Uri: TableServiceUri), (Key: QueueServiceUriKey, Uri: QueueServiceUri) }
            .Where(s => s.Uri is null && !_malformed.ContainsKey(s.Key))
            .Select(s => $"'{SettingName(s.Key)}'")
            .ToList();
        if (missing.Count > 0)
        {
            problems.Add(
                $"Storage is not configured: set '{StorageNames.StorageConnection}' (a connection string; " +
                $"'UseDevelopmentStorage=true' for Azurite) or the identity-based {string.Join(" and ", missing)} " +
                $"(or '{SettingName(AccountNameKey)}').");
        }

        return problems;
    }

    public Uri RequireUri(string key) => key switch
    {
        TableServiceUriKey => TableServiceUri,
        QueueServiceUriKey => QueueServiceUri,
        BlobServiceUriKey => BlobServiceUri,
        _ => throw new ArgumentOutOfRangeException(nameof(key), key, "Not a storage service URI setting."),
    } ?? throw new InvalidOperationException(string.Join(" ", Problems().DefaultIfEmpty(
        $"Storage is not configured: set '{StorageNames.StorageConnection}' or '{SettingName(key)}'.")));

    public TokenCredential CreateCredential() =>
        string.Equals(Credential, "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(ClientId is null
                ? ManagedIdentityId.SystemAssigned
                : ManagedIdentityId.FromUserAssignedClientId(ClientId))
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = ClientId });

    private Uri? ServiceUri(IConfigurationSection section, string key, string service)
    {
        var value = NullIfBlank(section[key]);
        if (value is null)
        {
            // The host's accountName form: public-cloud endpoints derived from the account name.
            return AccountName is null ? null : new Uri($"https://{AccountName}.{service}.core.windows.net/");
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            return uri;
        }

        _malformed[key] = $"'{SettingName(key)}' must be an absolute http(s) URI, e.g. https://<account>.{service}.core.windows.net/ (got '{value}').";
        return null;
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>Fails start-up with every storage setting that is missing or malformed, by name.</summary>
internal sealed class StorageConnectionSettingsValidator : IValidateOptions<StorageConnectionSettings>
{
    public ValidateOptionsResult Validate(string? name, StorageConnectionSettings options)
    {
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

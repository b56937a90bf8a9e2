using Azure.Identity;
using CallTracking.Functions;
using CallTracking.Functions.Common;
using CallTracking.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace CallTracking.Tests.Common;

/// <summary>Both forms of the AzureWebJobsStorage connection: a connection string (Azurite) and identity-based URIs (Azure).</summary>
public class StorageConnectionSettingsTests
{
    private const string ClientId = "6f1c7e55-2b0e-4c1e-9a51-0d4f1f0c2a11";

    private static IConfiguration Config(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            // App settings arrive as environment variables: '__' is the section separator.
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":"), s.Value)))
            .Build();

    private static IConfiguration IdentityBased(string account = "stcalls") => Config(IdentityBasedSettings(account));

    private static (string Key, string Value)[] IdentityBasedSettings(string account) =>
    [
        ("AzureWebJobsStorage__credential", "managedidentity"),
        ("AzureWebJobsStorage__clientId", ClientId),
        ("AzureWebJobsStorage__blobServiceUri", $"https://{account}.blob.core.windows.net/"),
        ("AzureWebJobsStorage__queueServiceUri", $"https://{account}.queue.core.windows.net/"),
        ("AzureWebJobsStorage__tableServiceUri", $"https://{account}.table.core.windows.net/"),
    ];

    [Fact]
    public void A_connection_string_is_used_as_is_and_the_clients_point_at_its_endpoints()
    {
        var azurite = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + AzuriteFixture.AccountKey + ";" +
            "QueueEndpoint=http://127.0.0.1:41001/devstoreaccount1;TableEndpoint=http://127.0.0.1:41002/devstoreaccount1;";
        var configuration = Config(("AzureWebJobsStorage", azurite));

        var settings = StorageConnectionSettings.From(configuration);

        Assert.Equal(azurite, settings.ConnectionString);
        Assert.True(settings.IsConfigured);
        Assert.Empty(settings.Problems());
        Assert.Equal(new Uri("http://127.0.0.1:41002/devstoreaccount1"), StorageClients.CreateTableServiceClient(configuration).Uri);
        Assert.Equal(new Uri("http://127.0.0.1:41001/devstoreaccount1"), StorageClients.CreateQueueServiceClient(configuration).Uri);
    }

    [Fact]
    public void Development_storage_shorthand_points_at_azurite_default_ports()
    {
        var configuration = Config(("AzureWebJobsStorage", "UseDevelopmentStorage=true"));

        Assert.Equal(10002, StorageClients.CreateTableServiceClient(configuration).Uri.Port);
        Assert.Equal(10001, StorageClients.CreateQueueServiceClient(configuration).Uri.Port);
    }

    [Fact]
    public void Identity_based_service_uris_bind_with_the_user_assigned_managed_identity()
    {
        var configuration = IdentityBased();

        var settings = StorageConnectionSettings.From(configuration);

        Assert.Null(settings.ConnectionString);
        Assert.Equal(new Uri("https://stcalls.blob.core.windows.net/"), settings.BlobServiceUri);
        Assert.Equal(new Uri("https://stcalls.queue.core.windows.net/"), settings.QueueServiceUri);
        Assert.Equal(new Uri("https://stcalls.table.core.windows.net/"), settings.TableServiceUri);
        Assert.Equal("managedidentity", settings.Credential);
        Assert.Equal(ClientId, settings.ClientId);
        Assert.IsType<ManagedIdentityCredential>(settings.TokenCredential);
        Assert.Same(settings.TokenCredential, settings.TokenCredential);

        var tables = StorageClients.CreateTableServiceClient(configuration);
        var queues = StorageClients.CreateQueueServiceClient(configuration);
        Assert.Equal("stcalls.table.core.windows.net", tables.Uri.Host);
        Assert.Equal("stcalls", tables.AccountName);
        Assert.Equal("stcalls.queue.core.windows.net", queues.Uri.Host);
        Assert.Equal("stcalls", queues.AccountName);
    }

    [Fact]
    public void Without_the_managed_identity_credential_setting_a_developer_login_is_used()
    {
        var configuration = Config(
            ("AzureWebJobsStorage__queueServiceUri", "https://stdev.queue.core.windows.net/"),
            ("AzureWebJobsStorage__tableServiceUri", "https://stdev.table.core.windows.net/"));

        Assert.IsType<DefaultAzureCredential>(StorageConnectionSettings.From(configuration).TokenCredential);
    }

    [Fact]
    public void The_account_name_form_derives_public_cloud_endpoints()
    {
        var configuration = Config(("AzureWebJobsStorage__accountName", "stnamed"), ("AzureWebJobsStorage__credential", "managedidentity"));

        var settings = StorageConnectionSettings.From(configuration);

        Assert.True(settings.IsConfigured);
        Assert.Equal(new Uri("https://stnamed.blob.core.windows.net/"), settings.BlobServiceUri);
        Assert.Equal(new Uri("https://stnamed.queue.core.windows.net/"), settings.QueueServiceUri);
        Assert.Equal(new Uri("https://stnamed.table.core.windows.net/"), settings.TableServiceUri);
        Assert.IsType<ManagedIdentityCredential>(settings.TokenCredential); // system-assigned: no client id
        Assert.Equal("stnamed.table.core.windows.net", StorageClients.CreateTableServiceClient(configuration).Uri.Host);
    }

    [Fact]
    public void An_explicit_service_uri_wins_over_the_account_name()
    {
        var configuration = Config(
            ("AzureWebJobsStorage__accountName", "stnamed"),
            ("AzureWebJobsStorage__tableServiceUri", "https://stother.table.core.windows.net/"));

        var settings = StorageConnectionSettings.From(configuration);

        Assert.Equal("stother.table.core.windows.net", settings.TableServiceUri?.Host);
        Assert.Equal("stnamed.queue.core.windows.net", settings.QueueServiceUri?.Host);
    }

    [Fact]
    public void Missing_configuration_names_the_settings_to_set()
    {
        var settings = StorageConnectionSettings.From(Config(("CallTracking__DefaultCountry", "GB")));

        var problem = Assert.Single(settings.Problems());
        Assert.Contains("'AzureWebJobsStorage'", problem);
        Assert.Contains("'AzureWebJobsStorage__tableServiceUri'", problem);
        Assert.Contains("'AzureWebJobsStorage__queueServiceUri'", problem);
        var error = Assert.Throws<InvalidOperationException>(() => StorageClients.CreateTableServiceClient(Config()));
        Assert.Contains("AzureWebJobsStorage__tableServiceUri", error.Message);
    }

    [Fact]
    public void A_half_configured_identity_connection_names_only_what_is_missing()
    {
        var configuration = Config(
            ("AzureWebJobsStorage__credential", "managedidentity"),
            ("AzureWebJobsStorage__tableServiceUri", "https://stcalls.table.core.windows.net/"));

        var problem = Assert.Single(StorageConnectionSettings.From(configuration).Problems());

        Assert.Contains("'AzureWebJobsStorage__queueServiceUri'", problem);
        Assert.DoesNotContain("tableServiceUri", problem);
        Assert.NotNull(StorageClients.CreateTableServiceClient(configuration));
        var error = Assert.Throws<InvalidOperationException>(() => StorageClients.CreateQueueServiceClient(configuration));
        Assert.Contains("AzureWebJobsStorage__queueServiceUri", error.Message);
    }

    [Theory]
    [InlineData("stcalls.table.core.windows.net")]
    [InlineData("/relative/path")]
    [InlineData("ftp://stcalls.table.core.windows.net/")]
    public void A_malformed_service_uri_is_reported_as_malformed_not_missing(string value)
    {
        var configuration = Config(
            ("AzureWebJobsStorage__queueServiceUri", "https://stcalls.queue.core.windows.net/"),
            ("AzureWebJobsStorage__tableServiceUri", value));

        var problem = Assert.Single(StorageConnectionSettings.From(configuration).Problems());

        Assert.Contains("'AzureWebJobsStorage__tableServiceUri' must be an absolute http(s) URI", problem);
        Assert.Contains(value, problem);
    }

    [Fact]
    public void The_app_fails_at_start_up_naming_a_missing_storage_setting()
    {
        var configuration = Config(
            ("AzureWebJobsStorage__tableServiceUri", "https://stcalls.table.core.windows.net/"),
            ("Vonage__SignatureSecret", "webhook-signing-secret"));
        using var services = new ServiceCollection()
            .AddSingleton(configuration)
            .AddLogging()
            .AddCallTrackingApp()
            .BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("AzureWebJobsStorage__queueServiceUri", error.Message);
    }

    [Fact]
    public void Registered_clients_use_the_identity_based_settings()
    {
        using var services = new ServiceCollection()
            .AddSingleton(Config([.. IdentityBasedSettings("stregistered"), ("Vonage__SignatureSecret", "webhook-signing-secret")]))
            .AddLogging()
            .AddCallTrackingApp()
            .BuildServiceProvider();

        services.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal("stregistered.table.core.windows.net", services.GetRequiredService<Azure.Data.Tables.TableServiceClient>().Uri.Host);
        Assert.Equal("stregistered.queue.core.windows.net", services.GetRequiredService<Azure.Storage.Queues.QueueServiceClient>().Uri.Host);
    }
}

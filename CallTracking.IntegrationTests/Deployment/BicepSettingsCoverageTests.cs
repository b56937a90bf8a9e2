using CallTracking.Functions;
using CallTracking.Functions.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace CallTracking.Tests.Deployment;

/// <summary>The app settings infra/main.bicep deploys, evaluated offline once per test class for two parameter sets.</summary>
public sealed class BicepDeploymentFixture : IAsyncLifetime
{
    /// <summary>
    /// What `azd up` passes when the user sets nothing: every optional parameter at its default, plus the required
    /// ones azd prompts for (the Vonage signature secret).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> MinimalParameters = new Dictionary<string, string>
    {
        ["environmentName"] = "coverage",
        ["location"] = "eastus",
        ["vonageSignatureSecret"] = "coverage-signature-secret",
    };

    /// <summary>Every optional plain parameter given a realistic value, so conditional settings are deployed too.</summary>
    public static readonly IReadOnlyDictionary<string, string> FullParameters = new Dictionary<string, string>(MinimalParameters)
    {
        ["principalId"] = "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        ["fallbackNumber"] = "+14155550100",
        ["defaultCountry"] = "GB",
        ["vonageApiKey"] = "a1b2c3d4",
        ["vonageApplicationId"] = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
        ["enrichmentProvider"] = "Offline",
        ["impactAccountSid"] = "IRcallTrackingSid1",
        ["mixpanelApiBaseUrl"] = "https://api-eu.mixpanel.com",
    };

    public IReadOnlyDictionary<string, string> Minimal { get; private set; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Full { get; private set; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Scenario(string name) => name switch
    {
        "minimal" => Minimal,
        "full" => Full,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    public async Task InitializeAsync()
    {
        // One after the other: each run is a 120 MB native process, and the machine is small.
        Minimal = await BicepAppSettings.SnapshotAsync(MinimalParameters);
        Full = await BicepAppSettings.SnapshotAsync(FullParameters);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>Runs after the parallel collections, so the Bicep CLI never competes with Azurite start-up for CPU.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BicepCollection
{
    public const string Name = "Bicep";
}

/// <summary>
/// No setting the app requires at start-up may be missing from the Bicep app settings: the app's real start-up
/// validation runs against exactly the settings infra/main.bicep deploys (a missing one would otherwise be found
/// only in Azure, as a function app that does not start).
/// </summary>
[Collection(BicepCollection.Name)]
public class BicepSettingsCoverageTests(BicepDeploymentFixture bicep) : IClassFixture<BicepDeploymentFixture>
{
    public static readonly TheoryData<string> Scenarios = ["minimal", "full"];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void The_app_starts_with_the_settings_bicep_deploys(string scenario)
    {
        var settings = DeploymentValues.AsAppSees(bicep.Scenario(scenario));

        AppStartup.Validate(settings); // throws, naming the setting, if anything required is missing or invalid
    }

    [Theory]
    [InlineData("minimal", new[] { "Vonage:SignatureSecret" })]
    [InlineData("full", new[] { "Impact:AuthToken", "Vonage:SignatureSecret" })]
    public void With_every_key_vault_reference_unresolved_the_app_still_starts_degraded_naming_what_is_missing(string scenario, string[] missing)
    {
        // What the platform hands the app before any secret is set: the reference text itself.
        var settings = bicep.Scenario(scenario).ToDictionary(s => s.Key, s => DeploymentValues.Evaluate(s.Key, s.Value), StringComparer.Ordinal);
        Assert.Contains(settings.Values, v => v.StartsWith(UnresolvedKeyVaultReferences.Prefix, StringComparison.Ordinal));

        var problems = AppStartup.Validate(settings); // the real start-up steps: must not throw

        Assert.Equal(missing, problems.Select(p => p.Setting).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void With_every_secret_set_the_app_starts_healthy(string scenario)
    {
        var problems = AppStartup.Validate(DeploymentValues.AsAppSees(bicep.Scenario(scenario)));

        Assert.Empty(problems);
    }

    [Fact]
    public void The_check_covers_the_options_classes_every_feature_registers()
    {
        var services = new ServiceCollection().AddCallTrackingApp();

        var checkedTypes = AppStartup.AppOptionsTypes(services);

        Assert.Contains(typeof(CallTrackingOptions), checkedTypes);
        Assert.Contains(typeof(StorageConnectionSettings), checkedTypes);
    }

    [Theory]
    [InlineData("AzureWebJobsStorage__tableServiceUri")]
    [InlineData("AzureWebJobsStorage__queueServiceUri")]
    public void Start_up_fails_naming_a_required_setting_missing_from_bicep(string setting)
    {
        var settings = DeploymentValues.AsAppSees(bicep.Minimal);
        Assert.True(settings.Remove(setting), $"{setting} should be deployed by Bicep");

        var error = Assert.Throws<OptionsValidationException>(() => AppStartup.Validate(settings));

        Assert.Contains(setting, error.Message);
    }

    [Fact]
    public void Storage_is_reached_by_managed_identity_never_by_connection_string()
    {
        var settings = bicep.Full;

        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.All(
            ["AzureWebJobsStorage__clientId", "AzureWebJobsStorage__blobServiceUri", "AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage__tableServiceUri"],
            key => Assert.True(DeploymentValues.IsExpression(settings[key]), $"{key} should come from the deployed resources"));
        Assert.DoesNotContain(settings, s => s.Value.Contains("AccountKey", StringComparison.OrdinalIgnoreCase));
        // Flex Consumption takes the runtime from functionAppConfig and rejects these.
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", settings.Keys);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", settings.Keys);
    }

    [Theory]
    [InlineData("Vonage__SignatureSecret", "vonage-signature-secret")]
    [InlineData("Vonage__ApiSecret", "vonage-api-secret")]
    [InlineData("Vonage__PrivateKey", "vonage-private-key")]
    [InlineData("Mixpanel__Token", "mixpanel-token")]
    [InlineData("Impact__AuthToken", "impact-auth-token")]
    [InlineData("Segment__WriteKey", "segment-write-key")]
    public void Secrets_are_key_vault_references_even_before_their_value_is_set(string setting, string secretName)
    {
        var reference = DeploymentValues.Evaluate(setting, bicep.Minimal[setting]);

        Assert.Equal($"@Microsoft.KeyVault(SecretUri=https://kv-placeholder.vault.azure.net/secrets/{secretName}/)", reference);
        Assert.StartsWith(UnresolvedKeyVaultReferences.Prefix, reference);
    }

    [Fact]
    public void Optional_settings_left_empty_are_not_deployed_so_the_app_keeps_its_defaults()
    {
        Assert.DoesNotContain("CallTracking__FallbackNumber", bicep.Minimal.Keys);
        Assert.DoesNotContain("Vonage__ApiKey", bicep.Minimal.Keys);
        Assert.Equal("+14155550100", bicep.Full["CallTracking__FallbackNumber"]);
        Assert.Equal("true", bicep.Minimal["Vonage__VerifySignatures"]);
        Assert.Equal("Offline", bicep.Minimal["Enrichment__Provider"]);
        Assert.Equal("https://func-placeholder.azurewebsites.net", DeploymentValues.Evaluate("CallTracking__PublicBaseUrl", bicep.Minimal["CallTracking__PublicBaseUrl"]));
    }
}

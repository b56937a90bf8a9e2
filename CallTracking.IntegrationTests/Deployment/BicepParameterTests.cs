using System.Text.Json;
using Xunit;

namespace CallTracking.Tests.Deployment;

/// <summary>infra/main.bicep evaluated offline (`bicep snapshot`) with azd's minimal parameters and with production scale.</summary>
public sealed class BicepScaleFixture : IAsyncLifetime
{
    public static IReadOnlyDictionary<string, object> Minimal =>
        BicepDeploymentFixture.MinimalParameters.ToDictionary(p => p.Key, object (p) => p.Value);

    public static IReadOnlyDictionary<string, object> Production => new Dictionary<string, object>(Minimal)
    {
        ["maximumInstanceCount"] = 40,
        ["instanceMemoryMB"] = 4096,
        ["alwaysReadyHttpInstances"] = 1,
    };

    public JsonElement Defaults { get; private set; }

    public JsonElement Scaled { get; private set; }

    public async Task InitializeAsync()
    {
        // One after the other: each run is a 120 MB native process, and the machine is small.
        Defaults = await BicepAppSettings.TemplateSnapshotAsync(Minimal);
        Scaled = await BicepAppSettings.TemplateSnapshotAsync(Production);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// The deployment's parameters: what azd must be given (a deployment that always starts), what is refused before
/// anything is deployed, and where the Flex Consumption scale settings and the static website end up.
/// </summary>
[Collection(BicepCollection.Name)]
public class BicepParameterTests(BicepScaleFixture bicep) : IClassFixture<BicepScaleFixture>
{
    private static JsonElement ScaleOf(JsonElement snapshot) =>
        BicepAppSettings.SingleResource(snapshot, "Microsoft.Web/sites")
            .GetProperty("properties").GetProperty("functionAppConfig").GetProperty("scaleAndConcurrency");

    [Fact]
    public void By_default_the_app_scales_from_zero_with_no_always_ready_instance()
    {
        var scale = ScaleOf(bicep.Defaults);

        Assert.Equal(2048, scale.GetProperty("instanceMemoryMB").GetInt32());
        Assert.Equal(100, scale.GetProperty("maximumInstanceCount").GetInt32());
        // An explicit empty list, so going back to 0 also removes instances configured before.
        Assert.Equal(JsonValueKind.Array, scale.GetProperty("alwaysReady").ValueKind);
        Assert.Equal(0, scale.GetProperty("alwaysReady").GetArrayLength());
    }

    [Fact]
    public void Production_scale_settings_reach_the_function_app()
    {
        var scale = ScaleOf(bicep.Scaled);

        Assert.Equal(4096, scale.GetProperty("instanceMemoryMB").GetInt32());
        Assert.Equal(40, scale.GetProperty("maximumInstanceCount").GetInt32());
        var alwaysReady = Assert.Single(scale.GetProperty("alwaysReady").EnumerateArray());
        Assert.Equal("http", alwaysReady.GetProperty("name").GetString());
        Assert.Equal(1, alwaysReady.GetProperty("instanceCount").GetInt32());
    }

    [Fact]
    public void The_storage_account_serves_a_static_website_for_the_fallback_ncco()
    {
        var blobService = BicepAppSettings.SingleResource(bicep.Defaults, "Microsoft.Storage/storageAccounts/blobServices");

        Assert.True(blobService.GetProperty("properties").GetProperty("staticWebsite").GetProperty("enabled").GetBoolean());
        // The postdeploy hook builds the fallback answer URL from this output.
        var webEndpoint = bicep.Defaults.GetProperty("outputs").GetProperty("AZURE_STORAGE_WEB_ENDPOINT").GetString();
        Assert.Equal("https://stplaceholder.web.core.windows.net/", DeploymentValues.Evaluate("AZURE_STORAGE_WEB_ENDPOINT", webEndpoint!));
    }

    [Fact]
    public async Task A_deployment_without_the_vonage_signature_secret_is_refused()
    {
        var parameters = new Dictionary<string, object>(BicepScaleFixture.Minimal);
        parameters.Remove("vonageSignatureSecret");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => BicepAppSettings.TemplateSnapshotAsync(parameters));

        // BCP258: declared in the template but not assigned. azd prompts for such a parameter instead.
        Assert.Contains("BCP258", error.Message);
        Assert.Contains("\"vonageSignatureSecret\"", error.Message);
    }

    public static readonly TheoryData<string, object, string> RefusedValues = new()
    {
        { "vonageSignatureSecret", "", "BCP333" }, // too short: an empty secret would stop the app at start-up
        { "enrichmentProvider", "NumberInsight", "BCP033" },
        { "instanceMemoryMB", 1024, "BCP033" },
        { "maximumInstanceCount", 39, "BCP328" },
        { "alwaysReadyHttpInstances", 41, "BCP327" },
    };

    [Theory]
    [MemberData(nameof(RefusedValues))]
    public async Task Values_the_app_or_flex_consumption_cannot_take_are_refused_before_deploying(string parameter, object value, string diagnostic)
    {
        var parameters = new Dictionary<string, object>(BicepScaleFixture.Minimal) { [parameter] = value };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => BicepAppSettings.TemplateSnapshotAsync(parameters));

        Assert.Contains($"Error {diagnostic}", error.Message);
    }
}

using System.Globalization;
using CallTracking.Functions.Http;
using Xunit;

namespace CallTracking.Tests.Deployment;

/// <summary>The host's request body cap, as Bicep deploys it, against the app's own per-function limits.</summary>
[Collection(BicepCollection.Name)]
public class HostBodyLimitTests
{
    [Fact]
    public async Task The_host_refuses_bodies_over_the_apps_largest_limit()
    {
        var settings = await BicepAppSettings.SnapshotAsync(BicepDeploymentFixture.MinimalParameters);

        // Lower, and the host would refuse an import the app accepts; higher, and it would buffer bodies no function reads.
        Assert.Equal(RequestBodyLimits.Largest.ToString(CultureInfo.InvariantCulture), settings["FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"]);
    }
}

using System.Text.Json.Nodes;
using CallTracking.Tests.Infrastructure;
using Xunit;

namespace CallTracking.Tests.CallFlow;

/// <summary>Compares an NCCO with a golden file structurally (JsonNode.DeepEquals), after filling its {tokens}.</summary>
public static class GoldenNcco
{
    public static void AssertMatches(string scenario, byte[] actual, IReadOnlyDictionary<string, string> tokens)
    {
        var path = RepositoryPaths.Combine("CallTracking.IntegrationTests", "CallFlow", "Golden", scenario + ".json");
        var text = File.ReadAllText(path);
        foreach (var (token, value) in tokens)
        {
            text = text.Replace("{" + token + "}", value, StringComparison.Ordinal);
        }

        var expected = JsonNode.Parse(text);
        var parsed = JsonNode.Parse(actual);
        Assert.True(JsonNode.DeepEquals(expected, parsed),
            $"NCCO differs from Golden/{scenario}.json\nexpected: {expected?.ToJsonString()}\nactual:   {parsed?.ToJsonString()}");
    }
}

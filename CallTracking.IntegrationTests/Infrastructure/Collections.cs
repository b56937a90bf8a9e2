using Xunit;

namespace CallTracking.Tests.Infrastructure;

// xunit discovers collection definitions only in the test assembly: the fixtures live in CallTracking.Testing.

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}

[CollectionDefinition(Name)]
public sealed class FunctionsHostCollection : ICollectionFixture<FunctionsHostFixture>
{
    public const string Name = "FunctionsHost";
}

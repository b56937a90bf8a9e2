namespace CallTracking.Tests.Infrastructure;

/// <summary>An Azurite that keeps its data in a temporary folder, so a test can restart it and find its data again.</summary>
public sealed class PersistentAzuriteFixture() : AzuriteFixture(persistToDisk: true);

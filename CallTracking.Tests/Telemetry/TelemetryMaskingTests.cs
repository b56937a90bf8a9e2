using Azure.Identity;
using CallTracking.Functions.Telemetry;
using Xunit;

namespace CallTracking.Tests.Telemetry;

public class TelemetryMaskingTests
{
    [Theory]
    // Number Insight: the caller in the query (Vonage's digits-only form).
    [InlineData("https://api.nexmo.com/ni/advanced/json?number=447700900123", "https://api.nexmo.com/ni/advanced/json?number=447*******23")]
    // The Callers table's key is the caller's E.164, URL-encoded.
    [InlineData("https://acct.table.core.windows.net/Callers(PartitionKey='%2B447700900123',RowKey='profile')",
        "https://acct.table.core.windows.net/Callers(PartitionKey='%2B447*******23',RowKey='profile')")]
    [InlineData("https://x.example/v1/lookup/+14155550123", "https://x.example/v1/lookup/+141******23")]
    [InlineData("/Callers(PartitionKey='+447700900123',RowKey='')", "/Callers(PartitionKey='+447*******23',RowKey='')")]
    public void Phone_numbers_in_paths_and_queries_are_masked(string url, string expected) =>
        Assert.Equal(expected, TelemetryMasking.MaskUrl(url));

    [Theory]
    // Call ids (GUIDs), hex ids, short numbers, ports and words with digits are kept: they are what an operator searches for.
    [InlineData("https://acct.table.core.windows.net/Calls(PartitionKey='CON-12345678-1234-1234-1234-123456789012',RowKey='call')")]
    [InlineData("http://127.0.0.1:10002/devstoreaccount1/Deliveries()?$filter=PartitionKey%20eq%20'abc'")]
    [InlineData("https://api.mixpanel.com/track?verbose=1&ip=0")]
    [InlineData("https://x.example/v2.1/track")]
    [InlineData("https://x.example/items/a1234567890b")]
    public void Urls_without_phone_numbers_are_unchanged(string url) =>
        Assert.Equal(url, TelemetryMasking.MaskUrl(url));

    [Fact]
    public void Nothing_is_left_of_the_number_but_its_prefix_and_last_two_digits()
    {
        var masked = TelemetryMasking.MaskUrl("https://api.nexmo.com/ni/advanced/json?number=447700900123&country=GB");

        Assert.DoesNotContain("7700900", masked, StringComparison.Ordinal);
        Assert.EndsWith("&country=GB", masked, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ClientId=abc")]
    [InlineData("Authorization=Key;ClientId=abc")]
    public void No_entra_credential_without_authorization_aad(string? authenticationString) =>
        Assert.Null(TelemetrySetup.CredentialFor(authenticationString));

    [Theory]
    // Our Bicep writes the client id first; App Service's documentation writes Authorization first.
    [InlineData("ClientId=11111111-2222-3333-4444-555555555555;Authorization=AAD")]
    [InlineData("Authorization=AAD;ClientId=11111111-2222-3333-4444-555555555555")]
    [InlineData("authorization=aad")]
    public void Authorization_aad_uses_the_managed_identity(string authenticationString) =>
        Assert.IsType<ManagedIdentityCredential>(TelemetrySetup.CredentialFor(authenticationString));
}

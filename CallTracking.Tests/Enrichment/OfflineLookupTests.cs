using CallTracking.Functions.Enrichment;
using Xunit;

namespace CallTracking.Tests.Enrichment;

public class OfflineLookupTests
{
    private readonly OfflineLookup _offline = new();

    [Theory]
    [InlineData("+447400123456", "GB", null, "Three", LineTypes.Mobile)]
    [InlineData("+442079460000", "GB", "London", null, LineTypes.Landline)]
    [InlineData("+448001234567", "GB", null, null, LineTypes.TollFree)]
    [InlineData("+449091234567", "GB", null, null, LineTypes.Premium)]
    // North American numbers do not say whether they are mobile: the type stays unknown, the area is known.
    [InlineData("+14155550101", "US", "San Francisco, CA", null, LineTypes.Unknown)]
    [InlineData("+18002530000", "US", null, null, LineTypes.TollFree)]
    [InlineData("+19005551234", "US", null, null, LineTypes.Premium)]
    [InlineData("+33612345678", "FR", null, "SFR", LineTypes.Mobile)]
    // UK drama range: not allocated, so only the country is known.
    [InlineData("+447700900123", "GB", null, null, LineTypes.Unknown)]
    [InlineData("+999123456", null, null, null, LineTypes.Unknown)]
    [InlineData("garbage", null, null, null, LineTypes.Unknown)]
    public void Maps_numbers_from_the_bundled_data(string number, string? country, string? region, string? carrier, string lineType)
    {
        Assert.Equal(new CallerDetails(country, region, carrier, lineType, 0m), _offline.Describe(number));
    }
}

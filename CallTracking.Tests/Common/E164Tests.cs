using CallTracking.Functions.Common;
using Xunit;

namespace CallTracking.Tests.Common;

public class E164Tests
{
    [Theory]
    [InlineData("07700 900123", "GB", "+447700900123")]        // national
    [InlineData("+44 7700 900123", "US", "+447700900123")]     // international with '+'
    [InlineData("0044 7700 900123", "US", "+447700900123")]    // international with 00
    [InlineData("447700900123", "US", "+447700900123")]        // Vonage form: no '+'
    [InlineData("(415) 555-0101", "US", "+14155550101")]       // national, punctuated
    [InlineData("14155550101", "US", "+14155550101")]          // no '+', NANP with trunk 1
    [InlineData("+1 415 555 0101", "GB", "+14155550101")]
    public void Normalises_national_international_plus_and_no_plus_forms(string input, string region, string expected)
    {
        Assert.True(E164.TryNormalize(input, region, out var e164));
        Assert.Equal(expected, e164);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a number")]
    [InlineData("123")]
    [InlineData("+99 1234")]
    public void Rejects_what_is_not_a_phone_number(string input)
    {
        Assert.False(E164.TryNormalize(input, "US", out _));
    }

    [Theory]
    [InlineData("447700900123", "+447700900123")]
    [InlineData("+447700900123", "+447700900123")]
    [InlineData("Unknown", null)]
    [InlineData("anonymous", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Reads_webhook_numbers_and_withheld_callers(string? input, string? expected)
    {
        Assert.Equal(expected, E164.FromVonage(input));
    }

    [Fact]
    public void Masks_all_but_the_prefix_and_last_two_digits()
    {
        Assert.Equal("+447*******23", E164.Mask("+447700900123"));
        Assert.DoesNotContain("7700900", E164.Mask("+447700900123"), StringComparison.Ordinal);
    }

    [Fact]
    public void Converts_to_the_form_Vonage_expects()
    {
        Assert.Equal("447700900123", E164.ToVonage("+447700900123"));
    }
}

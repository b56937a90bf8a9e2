namespace CallTracking.Tests.Infrastructure;

/// <summary>Random but valid-shaped fictional numbers, so tests sharing one Azurite never collide.</summary>
public static class TestNumbers
{
    /// <summary>A UK mobile-shaped number, E.164 with '+'.</summary>
    public static string UkMobile() => "+447" + Random.Shared.NextInt64(100_000_000, 999_999_999);

    /// <summary>A London landline-shaped number, E.164 with '+'.</summary>
    public static string London() => "+4420" + Random.Shared.Next(10_000_000, 99_999_999);

    /// <summary>A San Francisco number (a campaign's tracking number), E.164 with '+': 8 million of them, not 9,000.</summary>
    public static string SanFrancisco() => "+1415" + Random.Shared.Next(2_000_000, 9_999_999);

    /// <summary>E.164 digits without '+', as Vonage sends them.</summary>
    public static string Digits(string e164) => e164.TrimStart('+');
}

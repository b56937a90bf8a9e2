using System.Globalization;
using PhoneNumbers;

namespace CallTracking.Functions.Enrichment;

/// <summary>
/// libphonenumber's bundled data: country, line type from the numbering plan, the area a geographic number
/// was assigned to, and the carrier a mobile range was originally allocated to (porting is not reflected).
/// Free and without network, so it is also the fallback of the paid providers.
/// </summary>
public sealed class OfflineLookup : ICallerLookup
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();
    private static readonly PhoneNumberOfflineGeocoder Geocoder = PhoneNumberOfflineGeocoder.GetInstance();
    private static readonly PhoneNumberToCarrierMapper Carriers = PhoneNumberToCarrierMapper.GetInstance();

    public EnrichmentProvider Provider => EnrichmentProvider.Offline;

    public Task<CallerDetails> LookupAsync(string callerE164, CancellationToken ct) => Task.FromResult(Describe(callerE164));

    public CallerDetails Describe(string callerE164)
    {
        PhoneNumber number;
        try
        {
            number = Util.Parse(callerE164, null);
        }
        catch (NumberParseException)
        {
            return new CallerDetails(null, null, null, LineTypes.Unknown, 0m);
        }

        var country = CountryOf(number);
        if (!Util.IsValidNumber(number))
        {
            // Unallocated ranges (e.g. UK drama numbers 07700 900xxx): only the calling code is known.
            return new CallerDetails(country, null, null, LineTypes.Unknown, 0m);
        }

        var region = NullIfEmpty(Geocoder.GetDescriptionForValidNumber(number, Locale.English));
        if (region is not null && country is not null && region == CountryName(country))
        {
            region = null; // non-geographic numbers (mobiles) are described by their country only
        }

        var carrier = NullIfEmpty(Carriers.GetNameForValidNumber(number, Locale.English));
        return new CallerDetails(country, region, carrier, LineTypeOf(Util.GetNumberType(number)), 0m);
    }

    private static string? CountryOf(PhoneNumber number)
    {
        var region = Util.GetRegionCodeForNumber(number);
        if (region is null or "ZZ")
        {
            // The calling code's main country ("+44" → GB); "001" marks non-geographic codes.
            region = Util.GetRegionCodeForCountryCode(number.CountryCode);
        }

        return region is null or "ZZ" or "001" ? null : region;
    }

    private static string LineTypeOf(PhoneNumberType type) => type switch
    {
        PhoneNumberType.MOBILE => LineTypes.Mobile,
        PhoneNumberType.FIXED_LINE => LineTypes.Landline,
        PhoneNumberType.VOIP => LineTypes.Voip,
        PhoneNumberType.TOLL_FREE => LineTypes.TollFree,
        PhoneNumberType.PREMIUM_RATE => LineTypes.Premium,
        // FIXED_LINE_OR_MOBILE (all of North America), shared cost, personal, pager, UAN: not knowable offline.
        _ => LineTypes.Unknown,
    };

    private static string? CountryName(string country)
    {
        try
        {
            return new RegionInfo(country).EnglishName;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

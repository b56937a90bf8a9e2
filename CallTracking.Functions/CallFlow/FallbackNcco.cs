using System.Text.Json;
using CallTracking.Functions.Common;
using Microsoft.Extensions.Options;

namespace CallTracking.Functions.CallFlow;

/// <summary>
/// The safe NCCO for Vonage's fallback answer URL and for any failure of the answer path. Depends on settings
/// only, never on storage: connects to <c>CallTracking__FallbackNumber</c> when configured, else apologises.
/// </summary>
public sealed class FallbackNcco
{
    public const string Apology = "Sorry, we cannot take your call right now. Please try again later.";
    public const string Hold = "Please hold while we connect your call.";

    private static readonly JsonEncodedText ApologyText = CompiledCampaign.Encode(Apology);
    private static readonly JsonEncodedText HoldText = CompiledCampaign.Encode(Hold);

    public FallbackNcco(IOptions<CallTrackingOptions> options)
    {
        var settings = options.Value;
        if (E164.TryNormalize(settings.FallbackNumber, settings.DefaultCountry, out var fallback))
        {
            NumberE164 = fallback;
            Number = CompiledCampaign.Encode(E164.ToVonage(fallback));
        }
    }

    /// <summary>The global fallback number, E.164 with '+'; null when not configured.</summary>
    public string? NumberE164 { get; }

    /// <summary>The same, encoded for NCCOs.</summary>
    public JsonEncodedText? Number { get; }

    /// <param name="trackingNumber">The called number (E.164), shown to the fallback as caller id when known.</param>
    public byte[] Build(string? trackingNumber, CallbackUrls urls)
    {
        var w = NccoWriter.Start();
        if (Number is { } fallback)
        {
            NccoWriter.WriteTalk(w, HoldText);
            NccoWriter.WriteConnect(w, null, AnswerService.FromDigits(trackingNumber), fallback, 30, urls);
        }
        else
        {
            NccoWriter.WriteTalk(w, ApologyText);
        }

        return NccoWriter.Finish(w);
    }
}

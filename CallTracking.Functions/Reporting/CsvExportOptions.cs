using System.ComponentModel.DataAnnotations;

namespace CallTracking.Functions.Reporting;

/// <summary>
/// Bounds of one <c>GET /api/calls.csv</c> response. The isolated worker buffers a plain
/// <c>HttpResponseData</c> body and sends it to the host as one gRPC message, so an export is cut into parts of at
/// most <see cref="CsvRowsPerPart"/> rows (about 260 bytes each): memory per request stays bounded however many calls
/// match, and the response links to the next part.
/// </summary>
public sealed class CsvExportOptions
{
    public const string Section = "Reporting";

    public const int DefaultRowsPerPart = 100_000;

    [Range(1, 1_000_000)]
    public int CsvRowsPerPart { get; set; } = DefaultRowsPerPart;
}

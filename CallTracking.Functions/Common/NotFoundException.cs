namespace CallTracking.Functions.Common;

/// <summary>
/// The thing a request names does not exist; the HTTP edge answers 404, with an <c>errors</c> entry when the
/// name came from a field (<paramref name="field"/>) rather than the route.
/// </summary>
public sealed class NotFoundException(string detail, string? field = null) : Exception(detail)
{
    public string? Field { get; } = field;
}

namespace CallTracking.Simulator.Sweep;

/// <summary>What a correct CallTracking must answer to a hostile request.</summary>
public enum SweepExpectation
{
    /// <summary>A 4xx with an <c>application/problem+json</c> body.</summary>
    Problem,

    /// <summary>
    /// A filter value that is legal but hostile (quotes, OData or SQL fragments): a 4xx problem, or a 2xx that
    /// returns none of the data stored by others (the injection did not widen the query).
    /// </summary>
    ProblemOrNoLeak,

    /// <summary>Call-control endpoints: a valid NCCO (200, JSON array of actions) or a 4xx problem; never a 5xx.</summary>
    SafeNcco,
}

/// <summary>One malformed or hostile request. <see cref="PathAndQuery"/> is sent as is (already escaped, tricks included).</summary>
public sealed record HostileRequest(
    string Name,
    string Endpoint,
    HttpMethod Method,
    string PathAndQuery,
    byte[]? Body,
    string? ContentType,
    string? Authorization,
    SweepExpectation Expect)
{
    /// <summary>The route may not match any function (path tricks): the host's own bodiless 404 is acceptable.</summary>
    public bool RouteMayNotMatch { get; init; }

    /// <summary>A URL or header too large for the web server: its own 4xx (414, 431) is acceptable.</summary>
    public bool ServerMayRefuse { get; init; }

    public override string ToString() => $"{Endpoint} {Name}";
}

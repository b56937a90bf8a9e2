namespace CallTracking.Functions.Forwarding;

/// <summary>
/// Sits inside the resilience handler, so it sees every HTTP attempt of one logical send; the count ends up in
/// the delivery ledger (<see cref="DeliveryRecord.HttpRequests"/>).
/// </summary>
public sealed class RequestCountingHandler : DelegatingHandler
{
    public static readonly HttpRequestOptionsKey<StrongBox> Counter = new("CallTracking.HttpAttempts");

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Options.TryGetValue(Counter, out var counter))
        {
            Interlocked.Increment(ref counter.Value);
        }

        return base.SendAsync(request, cancellationToken);
    }

    /// <summary>A mutable count carried on the request.</summary>
    public sealed class StrongBox
    {
        public int Value;
    }
}

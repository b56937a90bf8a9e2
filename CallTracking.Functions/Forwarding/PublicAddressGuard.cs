using System.Net;
using System.Net.Sockets;
using CallTracking.Functions.Common;

namespace CallTracking.Functions.Forwarding;

/// <summary>
/// The connect step of the campaign webhook's HttpClient: resolves the host itself and refuses loopback, private and
/// link-local addresses (unless <see cref="WebhookOptions.AllowPrivateNetworks"/>), so neither a name that resolves to
/// one nor a redirect can turn a campaign's callbackUrl into a request into our own network.
/// </summary>
public static class PublicAddressGuard
{
    public static SocketsHttpHandler CreateHandler(bool allowPrivateNetworks) => new()
    {
        AllowAutoRedirect = false,
        ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, allowPrivateNetworks, cancellationToken),
    };

    /// <summary>Why <paramref name="host"/> is refused (it resolves only to private addresses); null when it has a public one. DNS failures throw.</summary>
    public static async Task<string?> RefusalAsync(string host, CancellationToken cancellationToken)
    {
        try
        {
            var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
            return addresses.Any(a => !PrivateAddresses.IsPrivate(a)) ? null : $"callbackUrl host {host} resolves to no public address; refused.";
        }
        catch (SocketException)
        {
            return null; // unresolvable now: the send fails transiently and is retried
        }
    }

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, bool allowPrivateNetworks, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var allowed = allowPrivateNetworks ? addresses : addresses.Where(a => !PrivateAddresses.IsPrivate(a)).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException($"{endpoint.Host} resolves to no public address; refused.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

using System.Text;
using CallTracking.Simulator;
using Xunit;

namespace CallTracking.Tests.Simulator;

public class VonageRequestSignerTests
{
    private const string Secret = "sig-secret-for-tests";

    [Fact]
    public void Post_token_verifies_against_the_spec_with_the_raw_body_hash()
    {
        var now = new DateTimeOffset(2026, 11, 26, 1, 0, 0, TimeSpan.Zero);
        var signer = new VonageRequestSigner(Secret, "abc123", "app-1", new FixedTime(now));
        var body = Encoding.UTF8.GetBytes("""{"status":"started","uuid":"u"}""");

        var claims = SpecJwtVerifier.Verify(signer.SignBody(body), Secret, body, "abc123");

        Assert.Equal(now.ToUnixTimeSeconds(), claims.GetProperty("iat").GetInt64());
        Assert.Equal("app-1", claims.GetProperty("application_id").GetString());
    }

    [Fact]
    public void Token_fails_the_spec_check_with_another_secret_or_another_body()
    {
        var signer = new VonageRequestSigner(Secret, "abc123");
        var body = Encoding.UTF8.GetBytes("""{"a":1}""");
        var token = signer.SignBody(body);

        Assert.Throws<InvalidDataException>(() => SpecJwtVerifier.Verify(token, "other-secret", body, "abc123"));
        Assert.Throws<InvalidDataException>(() => SpecJwtVerifier.Verify(token, Secret, Encoding.UTF8.GetBytes("""{"a":2}"""), "abc123"));
        Assert.Throws<InvalidDataException>(() => SpecJwtVerifier.Verify(token, Secret, body, "someone-else"));
    }

    [Fact]
    public void Get_token_hashes_the_query_as_compact_json_in_original_order()
    {
        var signer = new VonageRequestSigner(Secret, "abc123");
        KeyValuePair<string, string>[] query = [new("to", "447700900000"), new("from", "447700900001"), new("uuid", "u-1")];

        var token = signer.SignQuery(query);

        SpecJwtVerifier.Verify(token, Secret, """{"to":"447700900000","from":"447700900001","uuid":"u-1"}"""u8, "abc123");
    }

    [Fact]
    public void Every_token_has_its_own_jti()
    {
        var signer = new VonageRequestSigner(Secret, "abc123");
        var body = "{}"u8.ToArray();

        var first = SpecJwtVerifier.Verify(signer.SignBody(body), Secret, body, "abc123");
        var second = SpecJwtVerifier.Verify(signer.SignBody(body), Secret, body, "abc123");

        Assert.NotEqual(first.GetProperty("jti").GetString(), second.GetProperty("jti").GetString());
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

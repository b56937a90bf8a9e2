using CallTracking.LocalHost.Functions;
using CallTracking.LocalHost.Http;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace CallTracking.Tests.LocalHost;

/// <summary>
/// The local host's key check against the real host's rules (AuthUtility.PrincipalHasAuthLevelClaim,
/// AuthenticationLevelHandler): the master key passes every level, the function key only function level.
/// </summary>
public class FunctionKeysTests
{
    private const string Function = "function-key";
    private const string Master = "master-key";

    private readonly FunctionKeys _keys = new(required: true, Function, Master);

    public static readonly TheoryData<AuthLevel, string?, bool> Levels = new()
    {
        { AuthLevel.Anonymous, null, true },
        { AuthLevel.Function, null, false },
        { AuthLevel.Function, "wrong", false },
        { AuthLevel.Function, Function, true },
        { AuthLevel.Function, Master, true },
        { AuthLevel.Admin, null, false },
        { AuthLevel.Admin, Function, false },
        { AuthLevel.Admin, Master, true },
        // No key grants system or user level but the master key's admin level.
        { AuthLevel.System, Function, false },
        { AuthLevel.System, Master, true },
        { AuthLevel.User, null, false },
        { AuthLevel.User, Function, false },
        { AuthLevel.User, Master, true },
    };

    [Theory]
    [MemberData(nameof(Levels))]
    public void A_key_passes_its_own_level_and_the_master_key_every_level(AuthLevel level, string? key, bool authorized)
    {
        Assert.Equal(authorized, _keys.IsAuthorized(Request(header: key), level));
        Assert.Equal(authorized, _keys.IsAuthorized(Request(code: key), level));
    }

    [Fact]
    public void The_header_wins_over_the_query_and_only_its_first_value_counts()
    {
        Assert.False(_keys.IsAuthorized(Request(header: "wrong", code: Master), AuthLevel.Admin));
        Assert.True(_keys.IsAuthorized(Request(header: Master, code: "wrong"), AuthLevel.Admin));
        Assert.False(_keys.IsAuthorized(Request(header: "", code: Master), AuthLevel.Function));

        var twoValues = new DefaultHttpContext();
        twoValues.Request.Headers["x-functions-key"] = new[] { Master, "other" };
        Assert.True(_keys.IsAuthorized(twoValues.Request, AuthLevel.Admin));
    }

    [Fact]
    public void Nothing_is_enforced_unless_required()
    {
        var open = new FunctionKeys(required: false, Function, Master);

        Assert.True(open.IsAuthorized(Request(), AuthLevel.Admin));
    }

    private static HttpRequest Request(string? header = null, string? code = null)
    {
        var context = new DefaultHttpContext();
        if (header is not null)
        {
            context.Request.Headers["x-functions-key"] = header;
        }

        if (code is not null)
        {
            context.Request.QueryString = QueryString.Create("code", code);
        }

        return context.Request;
    }
}

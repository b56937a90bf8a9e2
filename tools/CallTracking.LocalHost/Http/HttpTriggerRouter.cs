using CallTracking.LocalHost.Functions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CallTracking.LocalHost.Http;

/// <summary>
/// Serves each HTTP trigger at <c>/&lt;routePrefix&gt;/&lt;route&gt;</c> through ASP.NET Core endpoint routing, which
/// is where Functions route templates come from: <c>{id}</c>, constraints such as <c>{id:int}</c>, optional and
/// catch-all parameters, literal segments preferred over parameters, case-insensitive matching. A path no function
/// serves is 404; a served path with another method is 405.
/// </summary>
public static class HttpTriggerRouter
{
    /// <summary>The route pattern of a function, e.g. prefix <c>api</c> + route <c>campaigns/{id}</c>.</summary>
    public static string Pattern(string routePrefix, string route)
    {
        var prefix = routePrefix.Trim('/');
        var path = route.Trim('/');
        return "/" + (prefix.Length == 0 ? path : path.Length == 0 ? prefix : prefix + "/" + path);
    }

    public static void MapFunctions(IEndpointRouteBuilder endpoints, IEnumerable<FunctionDescriptor> functions, string routePrefix,
        Func<FunctionDescriptor, RequestDelegate> handlerFor)
    {
        foreach (var function in functions)
        {
            if (function.Http is not { } trigger)
            {
                continue;
            }

            var pattern = Pattern(routePrefix, trigger.Route);
            var builder = trigger.Methods is { Count: > 0 } methods
                ? endpoints.MapMethods(pattern, methods, handlerFor(function))
                : endpoints.Map(pattern, handlerFor(function));
            builder.WithDisplayName(function.Name).WithMetadata(function);
        }
    }

    /// <summary>The lines <c>func start</c> prints for HTTP functions: <c>Name: [GET,POST] http://…/api/route</c>.</summary>
    public static IEnumerable<string> Describe(IEnumerable<FunctionDescriptor> functions, string routePrefix, Uri baseAddress)
    {
        foreach (var function in functions.OrderBy(f => f.Name, StringComparer.OrdinalIgnoreCase))
        {
            if (function.Http is { } http)
            {
                var methods = http.Methods is { Count: > 0 } m ? string.Join(',', m) : "ALL";
                yield return $"{function.Name}: [{methods}] {baseAddress.GetLeftPart(UriPartial.Authority)}{Pattern(routePrefix, http.Route)}";
            }
            else if (function.Queue is { } queue)
            {
                yield return $"{function.Name}: queueTrigger ({queue.QueueName})";
            }
            else
            {
                yield return $"{function.Name}: {function.TriggerType ?? "no trigger"} (not run by the local host)";
            }
        }
    }
}

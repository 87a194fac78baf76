using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/healthz", MediaEndpoints.HttpMethodsGetHead, () => Results.Text("ok\n", "text/plain"));
        // Unknown paths answer like the rest of the API: JSON with the path named.
        app.MapFallback((HttpContext ctx) => HttpErrors.NotFound($"no such resource '{ctx.Request.Path}'"));
        return app;
    }
}

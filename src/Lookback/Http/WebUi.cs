using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>The web UI: static files embedded in the assembly (no CDN), with relative URLs so it works under ingress.</summary>
public static class WebUi
{
    private static readonly Assembly Asm = typeof(WebUi).Assembly;

    public static IEndpointRouteBuilder MapWebUi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => File("index.html"));
        app.MapGet("/ui/{file}", (string file) => File(file));
        return app;
    }

    private static IResult File(string name)
    {
        var stream = Asm.GetManifestResourceStream("Lookback.wwwroot." + name);
        return stream is null ? HttpErrors.NotFound($"no file '{name}'") : Results.Stream(stream, MediaEndpointsContentType(name));
    }

    private static string MediaEndpointsContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8", ".js" => "text/javascript; charset=utf-8", ".css" => "text/css; charset=utf-8",
        ".png" => "image/png", ".svg" => "image/svg+xml", _ => "application/octet-stream",
    };
}

using System.Collections.Frozen;
using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>
/// The web UI: static files embedded in the assembly (no CDN, no build step), with relative URLs only so that it
/// works at <c>/</c> and under Home Assistant ingress (<c>/api/hassio_ingress/&lt;token&gt;/</c>). <c>GET /</c> is
/// <c>index.html</c>; every other file is <c>GET /ui/{file}</c>. Files are read once, served with an ETag (304 when
/// unchanged) and gzip-compressed when the client accepts it.
/// </summary>
public static class WebUi
{
    private const string Prefix = "Lookback.wwwroot.";

    public sealed record UiFile(string Name, string ContentType, byte[] Bytes, byte[]? Gzip, string ETag);

    /// <summary>Every embedded UI file by name.</summary>
    public static FrozenDictionary<string, UiFile> Files { get; } = Load();

    private static FrozenDictionary<string, UiFile> Load()
    {
        var asm = typeof(WebUi).Assembly;
        var files = new Dictionary<string, UiFile>(StringComparer.Ordinal);
        foreach (var res in asm.GetManifestResourceNames())
        {
            if (!res.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            using var s = asm.GetManifestResourceStream(res)!;
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            var bytes = ms.ToArray();
            var name = res[Prefix.Length..];
            var type = ContentType(name);
            byte[]? gz = null;
            if (bytes.Length > 1024 && (type.StartsWith("text/", StringComparison.Ordinal) || type.Contains("svg") || type.Contains("json")))
            {
                using var o = new MemoryStream();
                using (var z = new GZipStream(o, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(bytes);
                if (o.Length < bytes.Length) gz = o.ToArray();
            }
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 8)) + "\"";
            files[name] = new UiFile(name, type, bytes, gz, etag);
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public static IEndpointRouteBuilder MapWebUi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext ctx) => Serve(ctx, "index.html"));
        app.MapGet("/ui/{file}", (string file, HttpContext ctx) => Serve(ctx, file));
        return app;
    }

    private static IResult Serve(HttpContext ctx, string name)
    {
        if (!Files.TryGetValue(name, out var f)) return HttpErrors.NotFound($"no file '{name}'");
        var h = ctx.Response.Headers;
        h.ETag = f.ETag;
        h.CacheControl = "no-cache"; // revalidate (cheap: 304) so that an upgrade is picked up at once
        h.XContentTypeOptions = "nosniff";
        h.Vary = "Accept-Encoding";
        if (ctx.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } inm && inm.Split(',').Any(t => t.Trim() == f.ETag))
            return Results.StatusCode(StatusCodes.Status304NotModified);
        if (f.Gzip is not null && ctx.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            h.ContentEncoding = "gzip";
            return Results.Bytes(f.Gzip, f.ContentType);
        }
        return Results.Bytes(f.Bytes, f.ContentType);
    }

    public static string ContentType(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".html" => "text/html; charset=utf-8", ".js" or ".mjs" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8", ".json" => "application/json; charset=utf-8",
        ".webmanifest" => "application/manifest+json", ".png" => "image/png", ".svg" => "image/svg+xml",
        ".ico" => "image/x-icon", _ => "application/octet-stream",
    };
}

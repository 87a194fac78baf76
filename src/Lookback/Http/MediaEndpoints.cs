using Lookback.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>GET /media/... serves rendered files; every URL published on MQTT points here.</summary>
public static class MediaEndpoints
{
    public static IEndpointRouteBuilder MapMediaEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/media/{**path}", (string? path, MediaStore media) =>
        {
            if (string.IsNullOrEmpty(path) || media.TryResolve(path) is not { } full || !File.Exists(full))
                return HttpErrors.NotFound($"no file '{path}'");
            return Results.File(full, ContentTypeOf(full), enableRangeProcessing: true);
        });
        return app;
    }

    public static string ContentTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".gif" => "image/gif", ".jpg" or ".jpeg" => "image/jpeg", ".mp4" => "video/mp4",
        ".m3u8" => "application/vnd.apple.mpegurl", ".ts" => "video/mp2t", ".m4s" => "video/iso.segment",
        _ => "application/octet-stream",
    };
}

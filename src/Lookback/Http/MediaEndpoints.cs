using Lookback.Media.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lookback.Http;

/// <summary>
/// GET (and HEAD) /media/... serves published renders only (see <see cref="MediaStore.TryResolve"/>): every URL
/// published on MQTT points here; the private state under storage.path (.state, .outbox, .rec, samples, temporary
/// files) answers 404 like a missing file.
/// </summary>
public static class MediaEndpoints
{
    public static IEndpointRouteBuilder MapMediaEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/media/{**path}", HttpMethodsGetHead, (string? path, MediaStore media) =>
        {
            if (string.IsNullOrEmpty(path) || media.TryResolve(path) is not { } full || !File.Exists(full))
                return HttpErrors.NotFound($"no file '{path}'");
            return Results.File(full, ContentTypeOf(full), enableRangeProcessing: true);
        });
        return app;
    }

    /// <summary>GET and HEAD: HEAD answers the same status and headers without a body (Kestrel drops it).</summary>
    public static readonly string[] HttpMethodsGetHead = [HttpMethods.Get, HttpMethods.Head];

    public static string ContentTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".gif" => "image/gif", ".jpg" or ".jpeg" => "image/jpeg", ".mp4" => "video/mp4",
        ".m3u8" => "application/vnd.apple.mpegurl", ".ts" => "video/mp2t", ".m4s" => "video/iso.segment",
        _ => "application/octet-stream",
    };
}

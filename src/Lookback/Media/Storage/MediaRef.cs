namespace Lookback.Media.Storage;

/// <summary>A file published to users: its URL (http) and, when storage.media_url is set, its Home Assistant media path.</summary>
public sealed record MediaRef(string Url, string? Media, string RelativePath);

public static class MediaRefs
{
    /// <summary>The published URL and media path of a file under the media root, by its relative path.</summary>
    public static MediaRef RefTo(this MediaStore store, string relativePath) =>
        new(store.Url(relativePath), store.Media(relativePath), relativePath);

    /// <summary>The same for a file by its full path (a render result's <c>Path</c>).</summary>
    public static MediaRef RefToFile(this MediaStore store, string fullPath) =>
        store.RefTo(Path.GetRelativePath(store.Root, fullPath).Replace('\\', '/'));
}

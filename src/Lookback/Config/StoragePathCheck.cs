namespace Lookback.Config;

/// <summary>
/// Whether <c>storage.path</c> can hold Lookback's files: an existing writable folder, or a folder that can be created
/// (its nearest existing parent is a writable folder). Asked by <c>lookback check</c> and before <c>run</c> starts
/// anything, so that a file or a read-only place is reported as what it is instead of failing later.
/// </summary>
public static class StoragePathCheck
{
    /// <summary>What is wrong with <paramref name="path"/> (a sentence naming the folder), or null when it is usable.
    /// Writes and removes one empty probe file to learn whether the folder is writable; creates no folder.</summary>
    public static string? Problem(string path)
    {
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"'{path}' is not a valid folder path ({ex.Message})";
        }
        if (File.Exists(full)) return $"'{full}' is a file, not a folder";
        if (Directory.Exists(full)) return Unwritable(full) is { } why ? $"folder '{full}' is not writable ({why})" : null;

        // Not there yet: Lookback creates it, so its nearest existing ancestor must be a writable folder.
        for (var parent = Path.GetDirectoryName(full); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent)) return $"'{full}' cannot be created: '{parent}' is a file, not a folder";
            if (!Directory.Exists(parent)) continue;
            return Unwritable(parent) is { } why ? $"'{full}' cannot be created: folder '{parent}' is not writable ({why})" : null;
        }
        return $"'{full}' cannot be created";
    }

    /// <summary>Null when a file can be created in <paramref name="folder"/>, else the system's reason.</summary>
    private static string? Unwritable(string folder)
    {
        var probe = Path.Combine(folder, ".lookback-write-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message;
        }
        finally
        {
            try { if (File.Exists(probe)) File.Delete(probe); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
    }
}

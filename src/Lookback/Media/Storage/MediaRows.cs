using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Lookback.Media.Storage;

/// <summary>
/// The retention side of a table whose rows name media files in a JSON <c>files</c> column (events, moments): rows
/// older than a cutoff go with their files; a row goes when retention deleted a file it names.
/// </summary>
internal static class MediaRows
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The pooled, shared-cache connection string of the event database at <paramref name="databasePath"/>
    /// (its folder created).</summary>
    public static string ConnectionString(string databasePath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
        return new SqliteConnectionStringBuilder { DataSource = databasePath, Cache = SqliteCacheMode.Shared, Pooling = true }.ToString();
    }

    public static Dictionary<string, string> ParseFiles(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json, Json) ?? [];

    public static string FilesJson(IReadOnlyDictionary<string, string> files) => JsonSerializer.Serialize(files, Json);

    /// <summary>Deletes the rows of <paramref name="table"/> whose <paramref name="timeColumn"/> (Unix ms) is before the
    /// cutoff; returns how many, and the files they named (to delete).</summary>
    public static (int Deleted, IReadOnlyList<string> Files) DeleteOlderThan(SqliteConnection c, string table, string timeColumn, DateTimeOffset cutoff)
    {
        using var tx = c.BeginTransaction();
        var files = new List<string>();
        using (var sel = c.CreateCommand())
        {
            sel.Transaction = tx;
            sel.CommandText = $"SELECT files FROM {table} WHERE {timeColumn} < $cut";
            sel.Parameters.AddWithValue("$cut", cutoff.ToUnixTimeMilliseconds());
            using var r = sel.ExecuteReader();
            while (r.Read()) files.AddRange(ParseFiles(r.GetString(0)).Values);
        }
        int deleted;
        using (var del = c.CreateCommand())
        {
            del.Transaction = tx;
            del.CommandText = $"DELETE FROM {table} WHERE {timeColumn} < $cut";
            del.Parameters.AddWithValue("$cut", cutoff.ToUnixTimeMilliseconds());
            deleted = del.ExecuteNonQuery();
        }
        tx.Commit();
        return (deleted, files);
    }

    /// <summary>Removes every row of <paramref name="table"/> naming <paramref name="relativePath"/> among its files.</summary>
    public static int DeleteNaming(SqliteConnection c, string table, string relativePath)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM json_each({table}.files) WHERE json_each.value = $p)";
        cmd.Parameters.AddWithValue("$p", relativePath);
        return cmd.ExecuteNonQuery();
    }
}

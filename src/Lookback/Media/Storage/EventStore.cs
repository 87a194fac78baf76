using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;

namespace Lookback.Media.Storage;

/// <summary>A box in normalised 0..1 image coordinates.</summary>
public sealed record EventBox(
    [property: JsonPropertyName("x")] double X, [property: JsonPropertyName("y")] double Y,
    [property: JsonPropertyName("w")] double W, [property: JsonPropertyName("h")] double H);

/// <summary>One stored event (motion, or a folder camera's file): what GET /api/events answers.</summary>
public sealed record StoredEvent
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("camera")] public required string Camera { get; init; }
    [JsonPropertyName("type")] public string Type { get; init; } = "motion";
    [JsonPropertyName("start")] public required DateTimeOffset Start { get; init; }
    [JsonPropertyName("end")] public DateTimeOffset? End { get; init; }
    [JsonPropertyName("score")] public double Score { get; init; }
    [JsonPropertyName("peak_at")] public DateTimeOffset? PeakAt { get; init; }
    [JsonPropertyName("boxes")] public IReadOnlyList<EventBox> Boxes { get; init; } = [];
    [JsonPropertyName("zones")] public IReadOnlyList<string> Zones { get; init; } = [];
    /// <summary>Files under the media root (relative paths), e.g. snapshot and gif.</summary>
    [JsonPropertyName("files")] public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();
    /// <summary>Free-form metadata (JPEG comment, EXIF time of folder cameras…).</summary>
    [JsonPropertyName("metadata")] public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// The event database: SQLite under storage (one file, WAL). Rows and the files they name are removed together
/// by retention. Thread-safe: one connection per call (pooled by Microsoft.Data.Sqlite).
/// </summary>
public sealed class EventStore
{
    private readonly string _cs;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public EventStore(string databasePath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
        _cs = new SqliteConnectionStringBuilder { DataSource = databasePath, Cache = SqliteCacheMode.Shared, Pooling = true }.ToString();
        using var c = Open();
        Exec(c, """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS events (
              id TEXT PRIMARY KEY, camera TEXT NOT NULL, type TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER,
              score REAL NOT NULL, peak_ms INTEGER, boxes TEXT NOT NULL, zones TEXT NOT NULL, files TEXT NOT NULL,
              metadata TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS events_camera_start ON events(camera, start_ms DESC);
            CREATE INDEX IF NOT EXISTS events_start ON events(start_ms DESC);
            """);
    }

    private SqliteConnection Open() { var c = new SqliteConnection(_cs); c.Open(); return c; }

    private static void Exec(SqliteConnection c, string sql) { using var cmd = c.CreateCommand(); cmd.CommandText = sql; cmd.ExecuteNonQuery(); }

    /// <summary>Inserts or replaces the event with this id (start, updates and end write the same row).</summary>
    public void Upsert(StoredEvent e)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO events(id, camera, type, start_ms, end_ms, score, peak_ms, boxes, zones, files, metadata)
            VALUES ($id, $camera, $type, $start, $end, $score, $peak, $boxes, $zones, $files, $metadata)
            ON CONFLICT(id) DO UPDATE SET end_ms=excluded.end_ms, score=excluded.score, peak_ms=excluded.peak_ms,
              boxes=excluded.boxes, zones=excluded.zones, files=excluded.files, metadata=excluded.metadata
            """;
        cmd.Parameters.AddWithValue("$id", e.Id);
        cmd.Parameters.AddWithValue("$camera", e.Camera);
        cmd.Parameters.AddWithValue("$type", e.Type);
        cmd.Parameters.AddWithValue("$start", e.Start.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$end", (object?)e.End?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$score", e.Score);
        cmd.Parameters.AddWithValue("$peak", (object?)e.PeakAt?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$boxes", JsonSerializer.Serialize(e.Boxes, Json));
        cmd.Parameters.AddWithValue("$zones", JsonSerializer.Serialize(e.Zones, Json));
        cmd.Parameters.AddWithValue("$files", JsonSerializer.Serialize(e.Files, Json));
        cmd.Parameters.AddWithValue("$metadata", JsonSerializer.Serialize(e.Metadata, Json));
        cmd.ExecuteNonQuery();
    }

    public StoredEvent? Get(string id)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT * FROM events WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    /// <summary>Newest first; <paramref name="before"/> pages back (events that started strictly before it),
    /// <paramref name="after"/> keeps the events that started strictly after it.</summary>
    public IReadOnlyList<StoredEvent> Query(string? camera, int limit, DateTimeOffset? before, DateTimeOffset? after = null)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT * FROM events WHERE ($camera IS NULL OR camera = $camera) AND ($before IS NULL OR start_ms < $before) AND ($after IS NULL OR start_ms > $after) ORDER BY start_ms DESC LIMIT $limit";
        cmd.Parameters.AddWithValue("$camera", (object?)camera ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$before", (object?)before?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$after", (object?)after?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$limit", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredEvent>();
        while (r.Read()) list.Add(Read(r));
        return list;
    }

    /// <summary>Deletes events that started before <paramref name="cutoff"/>; returns how many, and the files they named (to delete).</summary>
    public (int Deleted, IReadOnlyList<string> Files) DeleteOlderThan(DateTimeOffset cutoff)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var files = new List<string>();
        int deleted;
        using (var sel = c.CreateCommand())
        {
            sel.Transaction = tx;
            sel.CommandText = "SELECT files FROM events WHERE start_ms < $cut";
            sel.Parameters.AddWithValue("$cut", cutoff.ToUnixTimeMilliseconds());
            using var r = sel.ExecuteReader();
            while (r.Read()) files.AddRange(ParseFiles(r.GetString(0)).Values);
        }
        using (var del = c.CreateCommand())
        {
            del.Transaction = tx;
            del.CommandText = "DELETE FROM events WHERE start_ms < $cut";
            del.Parameters.AddWithValue("$cut", cutoff.ToUnixTimeMilliseconds());
            deleted = del.ExecuteNonQuery();
        }
        tx.Commit();
        return (deleted, files);
    }

    /// <summary>Removes every event naming <paramref name="relativePath"/> among its files (the file was deleted by retention).</summary>
    public int DeleteNaming(string relativePath)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM events WHERE EXISTS (SELECT 1 FROM json_each(events.files) WHERE json_each.value = $p)";
        cmd.Parameters.AddWithValue("$p", relativePath);
        return cmd.ExecuteNonQuery();
    }

    public long Count()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM events";
        return (long)cmd.ExecuteScalar()!;
    }

    private static Dictionary<string, string> ParseFiles(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json, Json) ?? [];

    private static StoredEvent Read(SqliteDataReader r)
    {
        DateTimeOffset? Ms(string col) => r.IsDBNull(r.GetOrdinal(col)) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(r.GetOrdinal(col)));
        return new StoredEvent
        {
            Id = r.GetString(r.GetOrdinal("id")),
            Camera = r.GetString(r.GetOrdinal("camera")),
            Type = r.GetString(r.GetOrdinal("type")),
            Start = Ms("start_ms")!.Value,
            End = Ms("end_ms"),
            Score = r.GetDouble(r.GetOrdinal("score")),
            PeakAt = Ms("peak_ms"),
            Boxes = JsonSerializer.Deserialize<List<EventBox>>(r.GetString(r.GetOrdinal("boxes")), Json) ?? [],
            Zones = JsonSerializer.Deserialize<List<string>>(r.GetString(r.GetOrdinal("zones")), Json) ?? [],
            Files = ParseFiles(r.GetString(r.GetOrdinal("files"))),
            Metadata = JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(r.GetOrdinal("metadata")), Json) ?? [],
        };
    }
}

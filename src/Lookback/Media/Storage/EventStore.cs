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

/// <summary>What <see cref="EventStore.Search"/> keeps (null fields: any).</summary>
public sealed record EventQuery
{
    public string? Camera { get; init; }
    /// <summary>motion | file</summary>
    public string? Type { get; init; }
    /// <summary>Events that touched this zone.</summary>
    public string? Zone { get; init; }
    /// <summary>Free text found (case-insensitively, ASCII) in a metadata key or value (JPEG comment, file name…).</summary>
    public string? Text { get; init; }
    /// <summary>Started at or after <see cref="From"/> and before <see cref="To"/>.</summary>
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    /// <summary>Paging: started strictly before / after.</summary>
    public DateTimeOffset? Before { get; init; }
    public DateTimeOffset? After { get; init; }
    public int Limit { get; init; } = 50;
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
        _cs = MediaRows.ConnectionString(databasePath);
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
    public IReadOnlyList<StoredEvent> Query(string? camera, int limit, DateTimeOffset? before, DateTimeOffset? after = null) =>
        Search(new EventQuery { Camera = camera, Limit = limit, Before = before, After = after });

    /// <summary>The events a search keeps (see <see cref="EventQuery"/>), newest first.</summary>
    public IReadOnlyList<StoredEvent> Search(EventQuery q)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT * FROM events WHERE ($camera IS NULL OR camera = $camera) AND ($type IS NULL OR type = $type)
              AND ($before IS NULL OR start_ms < $before) AND ($after IS NULL OR start_ms > $after)
              AND ($from IS NULL OR start_ms >= $from) AND ($to IS NULL OR start_ms < $to)
              AND ($zone IS NULL OR EXISTS (SELECT 1 FROM json_each(events.zones) WHERE json_each.value = $zone))
              AND ($text IS NULL OR EXISTS (SELECT 1 FROM json_each(events.metadata)
                    WHERE instr(lower(json_each.value), $text) > 0 OR instr(lower(json_each.key), $text) > 0))
            ORDER BY start_ms DESC LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$camera", (object?)q.Camera ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$type", (object?)q.Type ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$before", (object?)q.Before?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$after", (object?)q.After?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$from", (object?)q.From?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$to", (object?)q.To?.ToUnixTimeMilliseconds() ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$zone", (object?)q.Zone ?? DBNull.Value);
        // SQLite's lower() folds ASCII only: the text is folded the same way here
        cmd.Parameters.AddWithValue("$text", string.IsNullOrWhiteSpace(q.Text) ? DBNull.Value : AsciiLower(q.Text.Trim()));
        cmd.Parameters.AddWithValue("$limit", q.Limit);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredEvent>();
        while (r.Read()) list.Add(Read(r));
        return list;
    }

    private static string AsciiLower(string s) => string.Create(s.Length, s, (span, src) =>
    {
        for (var i = 0; i < src.Length; i++) span[i] = src[i] is >= 'A' and <= 'Z' ? (char)(src[i] + 32) : src[i];
    });

    /// <summary>Deletes events that started before <paramref name="cutoff"/>; returns how many, and the files they named (to delete).</summary>
    public (int Deleted, IReadOnlyList<string> Files) DeleteOlderThan(DateTimeOffset cutoff)
    {
        using var c = Open();
        return MediaRows.DeleteOlderThan(c, "events", "start_ms", cutoff);
    }

    /// <summary>Removes every event naming <paramref name="relativePath"/> among its files (the file was deleted by retention).</summary>
    public int DeleteNaming(string relativePath)
    {
        using var c = Open();
        return MediaRows.DeleteNaming(c, "events", relativePath);
    }

    public long Count()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM events";
        return (long)cmd.ExecuteScalar()!;
    }

    private static Dictionary<string, string> ParseFiles(string json) => MediaRows.ParseFiles(json);

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

using System.Globalization;
using Lookback.Addon;

namespace Lookback.Config;

/// <summary>
/// Rewrites the flattened Home Assistant add-on options (<c>/data/options.json</c>, shaped by the <c>schema:</c> of the
/// repository's <c>config.yaml</c>, which the Supervisor limits to nesting depth 2) into the canonical nested shape,
/// in place, before <see cref="ConfigBinder"/> binds it. Moved values keep their nodes, so lines stay right, and
/// <see cref="MapError"/> turns the binder's paths back into the add-on field names (<c>cameras[0].motion_threshold</c>).
/// The canonical nested shape passes through unchanged.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>topic_prefix</c>, <c>discovery_prefix</c> → <c>mqtt.*</c>; <c>public_url</c>, <c>api_token</c> → <c>http.*</c>;
/// <c>retain_days</c>, <c>max_bytes</c> → <c>storage.*</c>.</item>
/// <item>Camera <c>motion_*</c> → <c>motion.*</c>, <c>gif_*</c> → <c>gif.*</c>; <c>motion_mask</c> and <c>motion_zones</c>
/// strings are parsed with <see cref="AddonOptionStrings"/>.</item>
/// <item>Trigger <c>match</c> and <c>cameras</c> strings are parsed with <see cref="AddonOptionStrings"/>.</item>
/// <item>Empty strings and nulls of moved keys are dropped (the Supervisor writes "" for a cleared optional string).</item>
/// <item>No <c>mqtt.host</c> (missing or "") gives <see cref="LookbackOptions.Mqtt"/> with an empty Host
/// (<see cref="Finish"/>): <see cref="AddonMode.ApplyAsync"/> then takes the broker from the Supervisor.</item>
/// </list>
/// </remarks>
internal sealed class AddonOptionsShape
{
    /// <summary>The keys of config.yaml's <c>schema:</c>, per level (tests compare them with the file).</summary>
    internal static readonly string[] RootKeys =
        ["node_id", "failover_priority", "log_level", "mqtt", "topic_prefix", "discovery_prefix", "public_url", "api_token", "retain_days", "max_bytes", "cameras", "triggers"];
    internal static readonly string[] MqttKeys = ["host", "port", "username", "password", "tls", "keepalive"];
    internal static readonly string[] CameraKeys =
    [
        "slug", "name", "area", "url", "kind", "interval", "store", "buffer_seconds", "auth", "username", "password",
        "motion_enabled", "motion_fps", "motion_threshold", "motion_min_area", "motion_off_delay", "motion_pre_capture",
        "motion_post_capture", "motion_max_event_seconds", "motion_mask", "motion_zones", "gif_seconds", "gif_fps", "gif_width",
        "transport", "record", "segment_seconds", "time_pattern", "events_from", "timelapse",
        "motion_url",
        "failover_priority", "standby",
    ];
    internal static readonly string[] TriggerKeys = ["topic", "match", "cameras", "action", "doorbell"];

    private static readonly (string Flat, string Section, string Key)[] RootMoves =
    [
        ("topic_prefix", "mqtt", "topic_prefix"), ("discovery_prefix", "mqtt", "discovery_prefix"),
        ("public_url", "http", "public_url"), ("api_token", "http", "api_token"), ("retain_days", "storage", "retain_days"), ("max_bytes", "storage", "max_bytes"),
    ];

    /// <summary>Flattened camera key prefixes and the nested section each one goes to.</summary>
    private static readonly (string Prefix, string Section)[] CameraSections = [("motion_", "motion"), ("gif_", "gif")];

    private readonly List<ConfigError> _errors = [];
    /// <summary>Canonical path → add-on path. Whole: every path below maps to the add-on field itself (a parsed string).</summary>
    private readonly List<(string Canonical, string Addon, bool Whole)> _paths = [];
    /// <summary>Key nodes this rewrite created (to tell a duplicate flat key from a clash with the nested shape).</summary>
    private readonly HashSet<CNode> _created = [];

    /// <summary>Problems found while rewriting (bad strings, clashes, unknown motion_/gif_ keys), with add-on paths.</summary>
    public IReadOnlyList<ConfigError> Errors => _errors;

    /// <summary>True when the options name a broker (<c>mqtt.host</c> present and not empty).</summary>
    public bool MqttHostSet { get; private set; }

    private AddonOptionsShape() { }

    /// <summary>Rewrites <paramref name="root"/> in place (a tree freshly read from JSON; nothing else shares it).</summary>
    public static AddonOptionsShape Rewrite(CNode? root)
    {
        var shape = new AddonOptionsShape();
        if (root is CMap map) shape.RewriteRoot(map);
        return shape;
    }

    /// <summary>The binder's error with its path in the add-on's field names.</summary>
    public ConfigError MapError(ConfigError e)
    {
        (string Canonical, string Addon, bool Whole)? best = null;
        foreach (var p in _paths)
        {
            var under = e.Path == p.Canonical
                        || e.Path.StartsWith(p.Canonical, StringComparison.Ordinal) && e.Path[p.Canonical.Length] is '.' or '[';
            if (under && (best is null || p.Canonical.Length > best.Value.Canonical.Length)) best = p;
        }
        if (best is not { } b) return e;
        return e with { Path = b.Whole ? b.Addon : b.Addon + e.Path[b.Canonical.Length..] };
    }

    /// <summary>Add-on options always have MQTT: without a host, an empty one (the Supervisor's broker is filled in later).</summary>
    public LookbackOptions Finish(LookbackOptions options) =>
        MqttHostSet ? options : options with { Mqtt = (options.Mqtt ?? new MqttOptions()) with { Host = "" } };

    // ---------------------------------------------------------------- levels

    private void RewriteRoot(CMap root)
    {
        MqttHostSet = Value(root, "mqtt") is CMap mqtt && Value(mqtt, "host") is { } host && !IsUnset(host);

        foreach (var (flat, section, key) in RootMoves)
            Move(root, "", flat, section, key, whole: false);

        switch (Value(root, "cameras"))
        {
            case CSeq seq:
                for (var i = 0; i < seq.Items.Count; i++)
                    if (seq.Items[i] is CMap camera) RewriteCamera(camera, $"cameras[{i}]");
                break;
            case CMap cameras:
                foreach (var (k, v) in cameras.Entries)
                    if (k is CScalar key && v is CMap camera) RewriteCamera(camera, "cameras." + key.Text);
                break;
        }

        if (Value(root, "triggers") is CSeq triggers)
            for (var i = 0; i < triggers.Items.Count; i++)
                if (triggers.Items[i] is CMap trigger) RewriteTrigger(trigger, $"triggers[{i}]");
    }

    private void RewriteCamera(CMap camera, string path)
    {
        var mask = Parse(camera, path, "motion_mask", text =>
        {
            if (!AddonOptionStrings.TryParsePolygons(text, out var polygons, out var error)) return (null, error);
            return (Polygons(polygons, LineOf(camera, "motion_mask")), null);
        });
        var zones = Parse(camera, path, "motion_zones", text =>
        {
            if (!AddonOptionStrings.TryParseZones(text, out var parsed, out var error)) return (null, error);
            var line = LineOf(camera, "motion_zones");
            var map = new CMap(line);
            foreach (var (name, polygon) in parsed) map.Entries.Add(new(Str(line, name), Polygon(polygon, line)));
            return (map, null);
        });

        foreach (var (k, _) in camera.Entries.ToList())
        {
            if (k is not CScalar key) continue;
            foreach (var (prefix, section) in CameraSections)
            {
                if (!key.Text.StartsWith(prefix, StringComparison.Ordinal)) continue;
                if (!CameraKeys.Contains(key.Text))
                {
                    var hint = ConfigBinder.Suggest(key.Text, CameraKeys);
                    Error(Join(path, key.Text), key, hint is null ? "unknown key" : $"unknown key, did you mean '{hint}'?");
                    camera.Entries.RemoveAll(e => e.Key == key);
                    break;
                }
                var whole = key.Text == "motion_mask" && mask || key.Text == "motion_zones" && zones;
                Move(camera, path, key.Text, section, key.Text[prefix.Length..], whole);
                break;
            }
        }
    }

    private void RewriteTrigger(CMap trigger, string path)
    {
        if (Parse(trigger, path, "match", text =>
            {
                if (!AddonOptionStrings.TryParseMatch(text, out var match, out var error)) return (null, error);
                var line = LineOf(trigger, "match");
                var map = new CMap(line);
                foreach (var (field, value) in match) map.Entries.Add(new(Str(line, field), Str(line, value)));
                return (map, null);
            }))
            _paths.Add((Join(path, "match"), Join(path, "match"), true));

        if (Parse(trigger, path, "cameras", text =>
            {
                var line = LineOf(trigger, "cameras");
                var seq = new CSeq(line);
                foreach (var slug in AddonOptionStrings.ParseCameraList(text)) seq.Items.Add(Str(line, slug));
                return (seq, null);
            }))
            _paths.Add((Join(path, "cameras"), Join(path, "cameras"), true));
    }

    // ---------------------------------------------------------------- rewriting

    /// <summary>
    /// Replaces the string value of <paramref name="key"/> (when it is a non-empty string) with the node
    /// <paramref name="parse"/> builds, or reports the parser's error at the add-on path and drops the key.
    /// True when a string was parsed.
    /// </summary>
    private bool Parse(CMap owner, string path, string key, Func<string, (CNode? Node, string? Error)> parse)
    {
        var i = owner.Entries.FindIndex(e => e.Key is CScalar k && k.Text == key);
        if (i < 0 || owner.Entries[i].Value is not CScalar { Kind: ScalarKind.JsonString } s || IsUnset(s)) return false;
        var (node, error) = parse(s.Text);
        if (node is null)
        {
            Error(Join(path, key), s, error ?? "is not valid");
            owner.Entries.RemoveAt(i);
            return false;
        }
        owner.Entries[i] = new(owner.Entries[i].Key, node);
        return true;
    }

    /// <summary>Moves every <paramref name="flat"/> entry of <paramref name="owner"/> to <c>section.key</c> (creating the
    /// section), dropping unset values; reports a clash with a value the nested shape already gives.</summary>
    private void Move(CMap owner, string path, string flat, string section, string key, bool whole)
    {
        foreach (var entry in owner.Entries.Where(e => e.Key is CScalar k && k.Text == flat).ToList())
        {
            owner.Entries.Remove(entry);
            var flatPath = Join(path, flat);
            if (IsUnset(entry.Value)) continue;

            var sectionEntry = owner.Entries.FirstOrDefault(e => e.Key is CScalar k && k.Text == section);
            CMap target;
            if (sectionEntry.Key is null)
            {
                target = new CMap(entry.Key.Line);
                var sectionKey = Str(entry.Key.Line, section);
                _created.Add(sectionKey);
                owner.Entries.Add(new(sectionKey, target));
            }
            else if (sectionEntry.Value is CMap existing) target = existing;
            else
            {
                Error(flatPath, entry.Key, $"cannot be combined with '{section}' (line {sectionEntry.Key.Line})");
                continue;
            }

            var clash = target.Entries.FirstOrDefault(e => e.Key is CScalar k && k.Text == key);
            if (clash.Key is not null)
            {
                Error(flatPath, entry.Key, _created.Contains(clash.Key)
                    ? $"duplicate key (first at line {clash.Key.Line})"
                    : $"cannot be combined with '{section}.{key}' (line {clash.Key.Line})");
                continue;
            }
            var movedKey = Str(entry.Key.Line, key);
            _created.Add(movedKey);
            target.Entries.Add(new(movedKey, entry.Value));
            _paths.Add((Join(Join(path, section), key), flatPath, whole));
        }
    }

    // ---------------------------------------------------------------- nodes

    private void Error(string path, CNode at, string message) => _errors.Add(new ConfigError(path, at.Line, message));

    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    private static CNode? Value(CMap map, string key) =>
        map.Entries.FirstOrDefault(e => e.Key is CScalar k && k.Text == key).Value;

    private static int LineOf(CMap map, string key) => Value(map, key)?.Line ?? map.Line;

    /// <summary>Null, or an empty string: "not set" in add-on options.</summary>
    private static bool IsUnset(CNode node) => node is CScalar s && (s.IsNull || s.Kind == ScalarKind.JsonString && s.Text.Length == 0);

    private static CScalar Str(int line, string text) => new(line, text, ScalarKind.JsonString);

    private static CScalar Num(int line, double d) => new(line, d.ToString("R", CultureInfo.InvariantCulture), ScalarKind.JsonNumber);

    private static CSeq Polygon(Polygon polygon, int line)
    {
        var seq = new CSeq(line);
        foreach (var p in polygon.Points)
        {
            var point = new CSeq(line);
            point.Items.Add(Num(line, p.X));
            point.Items.Add(Num(line, p.Y));
            seq.Items.Add(point);
        }
        return seq;
    }

    private static CSeq Polygons(IReadOnlyList<Polygon> polygons, int line)
    {
        var seq = new CSeq(line);
        foreach (var p in polygons) seq.Items.Add(Polygon(p, line));
        return seq;
    }
}

namespace Lookback.Tests.Architecture;

/// <summary>
/// The modules of Lookback and the direction their dependencies must run. A module is a namespace under
/// <c>Lookback.</c> (its first part; under <c>Lookback.Media.</c> its first two). <see cref="Layers"/> lists them from the
/// bottom: a module may use only modules listed before it, so the graph has no cycle and Hosting, the last, is the
/// only one that knows every module.
/// </summary>
public static class ModuleGraph
{
    public static readonly string[] Layers =
    [
        "Common",          // leaf: backoff, redaction, the event bus, the one child-process wrapper, the stderr tail
        "Imaging",         // pixels and JPEG (no knowledge of cameras)
        "Config",          // options, binder, loader: nothing of ours but Common
        "Buffer",          // frames and packets in RAM
        "Sources",         // cameras' inputs (HTTP, MJPEG, ffmpeg streams, folders) → frames and packets
        "Motion",          // motion detection on gray frames, event tracking
        "Cameras",         // one camera = source + rings (+ a recorder the host hands it)
        "Media.Storage",   // media root, event database
        "Media.Recording", // stream-copied HLS segments
        "Media.Rendering", // GIF/MP4 renders and their queue
        "Media.Timelapse", // daily timelapses
        "Events",          // motion moments: motion + renders + event store → MotionEventCompleted
        "Warnings",        // per-camera warnings a user sets (no frames, too many events, offline)
        "Media.Upload",    // offsite copies of what moments and renders wrote
        "Discover",        // finding cameras: ONVIF WS-Discovery, USB devices, proposed configuration
        "Mqtt",            // door: MQTT discovery, state, commands
        "Http",            // door: HTTP API and web UI
        "Addon",           // Home Assistant Supervisor environment (ingress, options)
        "Hosting",         // composition: knows every module
    ];

    /// <summary>The module of a namespace (null: not one of ours).</summary>
    public static string? ModuleOf(string? ns)
    {
        if (ns is null || !ns.StartsWith("Lookback.", StringComparison.Ordinal)) return null;
        var parts = ns.Split('.');
        return parts[1] == "Media" && parts.Length > 2 ? "Media." + parts[2] : parts[1];
    }

    /// <summary>Edges that run the wrong way (to a module listed later, or the same rank), and modules not in <paramref name="layers"/>.</summary>
    public static List<string> WrongWay(IReadOnlyDictionary<(string From, string To), string> edges, IReadOnlyList<string> layers)
    {
        var rank = layers.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i);
        var found = new List<string>();
        foreach (var ((from, to), example) in edges.OrderBy(e => e.Key))
        {
            if (!rank.TryGetValue(from, out var f)) { found.Add($"module {from} is not in the layer list ({example})"); continue; }
            if (!rank.TryGetValue(to, out var t)) { found.Add($"module {to} is not in the layer list ({example})"); continue; }
            if (t >= f) found.Add($"{from} → {to} runs the wrong way: {example}");
        }
        return found.Distinct().ToList();
    }

    /// <summary>The module cycles (strongly connected components of more than one module, or a module's self-loop).</summary>
    public static List<string[]> Cycles(IEnumerable<(string From, string To)> edges)
    {
        var g = new Dictionary<string, List<string>>();
        foreach (var (a, b) in edges)
        {
            if (!g.TryGetValue(a, out var l)) g[a] = l = [];
            l.Add(b);
            g.TryAdd(b, []);
        }
        // Tarjan
        var index = new Dictionary<string, int>(); var low = new Dictionary<string, int>();
        var stack = new Stack<string>(); var on = new HashSet<string>(); var result = new List<string[]>(); var next = 0;
        void Visit(string v)
        {
            index[v] = low[v] = next++; stack.Push(v); on.Add(v);
            foreach (var w in g[v])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (on.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var comp = new List<string>();
            string x;
            do { x = stack.Pop(); on.Remove(x); comp.Add(x); } while (x != v);
            if (comp.Count > 1 || g[v].Contains(v)) result.Add([.. comp.Order()]);
        }
        foreach (var v in g.Keys.Order().ToList()) if (!index.ContainsKey(v)) Visit(v);
        return result;
    }
}

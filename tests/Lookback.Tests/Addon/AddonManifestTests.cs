using System.Buffers.Binary;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Lookback.Tests.Addon;

/// <summary>
/// config.yaml, build.yaml, translations, icons, blueprint and Node-RED flow. The YAML checks run python3 with
/// jsonschema + PyYAML (Debian: python3-jsonschema python3-yaml), the engine of the add-on linter.
/// </summary>
public class AddonManifestTests
{
    private const string Prelude = """
        import json, re, sys, yaml, jsonschema
        def load(p):
            return yaml.safe_load(open(p, encoding="utf-8"))

        """ + "\n";

    [Fact]
    public void Config_yaml_is_valid_against_the_linter_schema_and_uses_no_defaults()
    {
        var (code, output) = AddonFiles.Python(Prelude + """
            schema = json.load(open(sys.argv[1] + "/addon-config.schema.json"))
            cfg = load("config.yaml")
            problems = []
            for e in sorted(jsonschema.Draft7Validator(schema).iter_errors(cfg), key=str):
                problems.append("schema: " + ("/".join(map(str, e.path)) or "<root>") + ": " + e.message)
            # lint.py: a key set to its schema default is an error
            for k, v in cfg.items():
                prop = schema["properties"].get(k, {})
                if "default" in prop and prop["default"] == v:
                    problems.append("key uses its default value: " + k)
            for k in ("name", "version", "slug", "description", "arch"):
                if not cfg.get(k): problems.append("missing required key " + k)
            if "watchdog" in cfg: problems.append("watchdog is obsolete (use HEALTHCHECK)")
            if "webui" in cfg and cfg.get("ingress"): problems.append("webui together with ingress")
            if "ingress_port" in cfg and not cfg.get("host_network"): problems.append("ingress_port without host_network")
            if not re.fullmatch(r"[-_.A-Za-z0-9]+", str(cfg.get("slug", ""))): problems.append("bad slug")
            for a in cfg.get("arch", []):
                if a not in ("aarch64", "amd64"): problems.append("deprecated arch " + a)
            print("\n".join(problems))
            sys.exit(1 if problems else 0)
            """, AddonFiles.SchemaDir());
        Assert.True(code == 0, output);
    }

    [Fact]
    public void Config_yaml_has_the_requested_keys()
    {
        var (code, output) = AddonFiles.Python(Prelude + """
            cfg = load("config.yaml")
            expect = {"name": "Lookback", "slug": "lookback", "init": False, "ingress": True,
                      "panel_icon": "mdi:cctv", "homeassistant": "2024.11.0"}
            problems = [f"{k}={cfg.get(k)!r}, want {v!r}" for k, v in expect.items() if cfg.get(k) != v]
            if sorted(cfg.get("arch", [])) != ["aarch64", "amd64"]: problems.append("arch")
            if cfg.get("services") != ["mqtt:need"]: problems.append("services")
            if "media:rw" not in cfg.get("map", []) or "addon_config" not in cfg.get("map", []): problems.append("map")
            if "8098/tcp" not in cfg.get("ports", {}) or "8098/tcp" not in cfg.get("ports_description", {}): problems.append("ports")
            if cfg.get("startup", "application") != "application": problems.append("startup")
            if not str(cfg.get("url", "")).startswith("https://"): problems.append("url")
            print("\n".join(problems)); sys.exit(1 if problems else 0)
            """);
        Assert.True(code == 0, output);
    }

    [Fact]
    public void Options_schema_follows_the_supervisor_grammar()
    {
        // Grammar of schema elements and the nesting rules (depth 2, no list in a list, optional keys not in options).
        var (code, output) = AddonFiles.Python(Prelude + """
            ELEMENT = re.compile(r"^(?:|bool|email|url|port|device(?:\((?:subsystem=[a-z]+)\))?"
                r"|str(?:\((?:\d+)?,(?:\d+)?\))?|password(?:\((?:\d+)?,(?:\d+)?\))?"
                r"|int(?:\((?:-?\d+)?,(?:-?\d+)?\))?|float(?:\((?:-?\d*\.?\d+)?,(?:-?\d*\.?\d+)?\))?"
                r"|match\((?:.*)\)|list\((?:.+)\))\??$")
            cfg = load("config.yaml")
            schema, options = cfg["schema"], cfg["options"]
            problems = []
            def check(node, path, depth):
                if isinstance(node, str):
                    if not ELEMENT.match(node): problems.append(f"{path}: bad type {node!r}")
                elif isinstance(node, dict):
                    if depth >= 2: problems.append(f"{path}: nested too deep")
                    for k, v in node.items(): check(v, f"{path}/{k}", depth + 1)
                elif isinstance(node, list):
                    if len(node) != 1: problems.append(f"{path}: a schema list has exactly one element")
                    if depth >= 2: problems.append(f"{path}: nested too deep")
                    if isinstance(node[0], list): problems.append(f"{path}: list in a list")
                    check(node[0], f"{path}[]", depth + 1)
            for k, v in schema.items(): check(v, k, 0)
            for k, v in schema.items():
                optional = isinstance(v, str) and v.endswith("?")
                if optional and k in options: problems.append(f"{k}: optional key must not be in options")
                if not optional and k not in options: problems.append(f"{k}: required key needs a default in options")
            for k in options:
                if k not in schema: problems.append(f"{k}: option not in schema")
            cams = schema["cameras"][0]
            for k in ("slug", "name", "url", "kind", "interval", "store", "buffer_seconds", "auth", "username", "password",
                      "motion_mask", "motion_zones"):
                if k not in cams: problems.append("cameras field missing: " + k)
            if not set(("host", "port", "username", "password")) <= set(schema["mqtt"]): problems.append("mqtt fields")
            if not set(("topic", "match", "cameras", "action", "doorbell")) <= set(schema["triggers"][0]): problems.append("trigger fields")
            print("\n".join(problems)); sys.exit(1 if problems else 0)
            """);
        Assert.True(code == 0, output);
    }

    [Fact]
    public void Version_equals_the_newest_changelog_entry()
    {
        var changelog = File.ReadAllText(AddonFiles.PathOf("CHANGELOG.md"));
        var newest = Regex.Match(changelog, @"^## \[(\d+\.\d+\.\d+)\]", RegexOptions.Multiline);
        Assert.True(newest.Success, "CHANGELOG.md has no '## [x.y.z]' entry");
        var version = Regex.Match(File.ReadAllText(AddonFiles.PathOf("config.yaml")), @"^version:\s*""?([^""\s#]+)""?", RegexOptions.Multiline);
        Assert.True(version.Success, "config.yaml has no version");
        Assert.Equal(newest.Groups[1].Value, version.Groups[1].Value);
    }

    [Fact]
    public void Build_yaml_is_valid_and_uses_the_debian_base()
    {
        var (code, output) = AddonFiles.Python(Prelude + """
            schema = json.load(open(sys.argv[1] + "/addon-build.schema.json"))
            b = load("build.yaml")
            problems = [str(e.message) for e in jsonschema.Draft7Validator(schema).iter_errors(b)]
            bf = b.get("build_from", {})
            for arch in ("aarch64", "amd64"):
                if not str(bf.get(arch, "")).startswith(f"ghcr.io/home-assistant/{arch}-base-debian:"): problems.append("build_from " + arch)
            if "squash" in b: problems.append("squash")
            print("\n".join(problems)); sys.exit(1 if problems else 0)
            """, AddonFiles.SchemaDir());
        Assert.True(code == 0, output);
    }

    [Fact]
    public void Translations_name_and_describe_every_option_and_port()
    {
        var (code, output) = AddonFiles.Python(Prelude + """
            cfg = load("config.yaml")
            tr = load("translations/en.yaml")
            conf = tr.get("configuration", {})
            problems = []
            def need(entry, path):
                if not isinstance(entry, dict) or not entry.get("name") or not entry.get("description"):
                    problems.append(path + ": needs name and description")
            for k, v in cfg["schema"].items():
                if k not in conf: problems.append("no translation for " + k); continue
                need(conf[k], k)
                inner = v[0] if isinstance(v, list) else v
                if isinstance(inner, dict):
                    fields = conf[k].get("fields", {})
                    for f in inner:
                        if f not in fields: problems.append(f"no translation for {k}/{f}")
                        else: need(fields[f], f"{k}/{f}")
                    for f in fields:
                        if f not in inner: problems.append(f"translation for unknown field {k}/{f}")
            for k in conf:
                if k not in cfg["schema"]: problems.append("translation for unknown option " + k)
            for port in cfg.get("ports", {}):
                if port not in tr.get("network", {}): problems.append("no network translation for " + port)
            print("\n".join(problems)); sys.exit(1 if problems else 0)
            """);
        Assert.True(code == 0, output);
    }

    [Theory]
    [InlineData("icon.png", 128, 128)]
    [InlineData("logo.png", 250, 100)]
    public void Store_images_are_png_of_the_recommended_size(string file, int width, int height)
    {
        var bytes = File.ReadAllBytes(AddonFiles.PathOf(file));
        Assert.True(bytes.Length > 33, "too short for a PNG");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20, 4)));
    }

    [Fact]
    public void Addon_folder_files_sit_next_to_config_yaml()
    {
        foreach (var f in new[] { "DOCS.md", "translations/en.yaml", "icon.png", "logo.png", "Dockerfile", "build.yaml", "repository.yaml",
                     "addon/rootfs/etc/services.d/lookback/run", "addon/rootfs/etc/services.d/lookback/finish" })
            Assert.True(File.Exists(AddonFiles.PathOf(f.Split('/'))), f + " is missing");
        var docs = File.ReadAllText(AddonFiles.PathOf("DOCS.md"));
        foreach (var s in new[] { "/media/local/lookback", "10 MB", "50 MB", "Android 14", "gif/set", "/result", "blueprint", "Node-RED" })
            Assert.Contains(s, docs, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Dockerfile_matches_config_yaml()
    {
        var docker = File.ReadAllText(AddonFiles.PathOf("Dockerfile"));
        Assert.Contains("FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0", docker);
        Assert.Contains("FROM ${BUILD_FROM}", docker);
        Assert.Contains("HEALTHCHECK", docker);
        Assert.Contains("http://127.0.0.1:8099/healthz", docker);
        foreach (var pkg in new[] { "ffmpeg", "libturbojpeg0", "fonts-dejavu-core", "ca-certificates", "libfontconfig1", "curl" })
            Assert.Contains(pkg, docker);
        // init: false because the HA base image's s6-overlay is PID 1 and runs the services.d service.
        Assert.Contains("/etc/services.d/lookback/run", docker);
        Assert.DoesNotContain("ENTRYPOINT", docker.Split('\n').Where(l => !l.TrimStart().StartsWith('#')).Aggregate("", (a, l) => a + l + "\n"));
        var run = File.ReadAllText(AddonFiles.PathOf("addon", "rootfs", "etc", "services.d", "lookback", "run"));
        Assert.Contains("exec /usr/bin/lookback run", run);
        Assert.StartsWith("#!/usr/bin/with-contenv bashio", run);
    }

    [Fact]
    public void Blueprint_parses_and_uses_the_contract_topics()
    {
        var (code, output) = AddonFiles.Python(Prelude + """
            class Loader(yaml.SafeLoader): pass
            Loader.add_constructor("!input", lambda l, n: {"!input": l.construct_scalar(n)})
            bp = yaml.load(open("addon/blueprints/doorbell_gif_notification.yaml", encoding="utf-8"), Loader=Loader)
            problems = []
            meta = bp.get("blueprint", {})
            if meta.get("domain") != "automation": problems.append("domain")
            inputs = meta.get("input", {})
            for k in ("doorbell_trigger", "camera", "topic_prefix", "notify_device", "gif_seconds"):
                if k not in inputs or "selector" not in inputs[k]: problems.append("input " + k)
            if inputs.get("topic_prefix", {}).get("default") != "lookback": problems.append("topic_prefix default")
            if "trigger" not in inputs.get("doorbell_trigger", {}).get("selector", {}): problems.append("trigger selector")
            dev = inputs.get("notify_device", {}).get("selector", {}).get("device", {})
            if "mobile_app" not in json.dumps(dev): problems.append("notify_device must filter mobile_app")
            used = set()
            def walk(n):
                if isinstance(n, dict):
                    if set(n) == {"!input"}: used.add(n["!input"])
                    for v in n.values(): walk(v)
                elif isinstance(n, list):
                    for v in n: walk(v)
            walk({k: v for k, v in bp.items() if k != "blueprint"})
            for k in inputs:
                if k not in used: problems.append("input never used: " + k)
            if bp.get("triggers") != {"!input": "doorbell_trigger"}: problems.append("triggers")
            text = json.dumps(bp)
            for s in ("/moment/set", "/result", "request_id", "mqtt.publish", "wait_for_trigger", "payload_json", "gif_media", "mp4_media"):
                if s not in text: problems.append("missing " + s)
            # The wait runs beside the publish (it starts first) and a timeout still notifies (issue 13).
            branches = [b["sequence"] for b in bp["actions"][0]["parallel"]]
            wait = branches[0][0]
            if wait.get("continue_on_timeout") is not True or "timeout" not in wait: problems.append("wait options")
            if wait["wait_for_trigger"][0].get("trigger") != "mqtt": problems.append("wait trigger")
            if branches[1][0].get("action") != "mqtt.publish": problems.append("publish branch")
            if bp.get("mode") != "queued": problems.append("mode")
            print("\n".join(problems)); sys.exit(1 if problems else 0)
            """);
        Assert.True(code == 0, output);
    }

    [Fact]
    public void Node_red_flow_is_valid_and_wired()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(AddonFiles.PathOf("addon", "examples", "node-red-doorbell.json")));
        var nodes = doc.RootElement.EnumerateArray().ToList();
        var ids = nodes.Select(n => n.GetProperty("id").GetString()!).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var byId = nodes.ToDictionary(n => n.GetProperty("id").GetString()!);
        string Type(JsonElement n) => n.GetProperty("type").GetString()!;
        foreach (var n in nodes)
        {
            if (n.TryGetProperty("wires", out var wires))
                foreach (var output in wires.EnumerateArray())
                    foreach (var target in output.EnumerateArray())
                        Assert.True(byId.ContainsKey(target.GetString()!), $"{n.GetProperty("id")} wires to missing node {target}");
            if (n.TryGetProperty("z", out var z)) Assert.True(byId.ContainsKey(z.GetString()!), "z refers to a missing tab");
            if (Type(n) != "mqtt-broker" && n.TryGetProperty("broker", out var b)) Assert.Equal("mqtt-broker", Type(byId[b.GetString()!]));
        }
        Assert.Contains(nodes, n => Type(n) == "mqtt-broker");
        var mqttIn = nodes.Where(n => Type(n) == "mqtt in").Select(n => n.GetProperty("topic").GetString()!).ToList();
        Assert.Contains(mqttIn, t => t.EndsWith("/result"));
        var functions = string.Join("\n", nodes.Where(n => Type(n) == "function").Select(n => n.GetProperty("func").GetString()));
        Assert.Contains("/gif/set", functions);
        Assert.Contains("request_id", functions);
        // The chain: result -> match -> http request -> check the download (statusCode) -> debug.
        var resultIn = nodes.Single(n => Type(n) == "mqtt in" && n.GetProperty("topic").GetString()!.EndsWith("/result"));
        var next = byId[resultIn.GetProperty("wires")[0][0].GetString()!];
        Assert.Equal("function", Type(next));
        var http = byId[next.GetProperty("wires")[0][0].GetString()!];
        Assert.Equal("http request", Type(http));
        var check = byId[http.GetProperty("wires")[0][0].GetString()!];
        Assert.Equal("function", Type(check));
        Assert.Contains("statusCode", check.GetProperty("func").GetString());
        var debug = byId[check.GetProperty("wires")[0][0].GetString()!];
        Assert.Equal("debug", Type(debug));
        Assert.Equal("summary", debug.GetProperty("complete").GetString());
        Assert.Contains(nodes, n => Type(n) == "mqtt out");
    }
}

using System.Globalization;
using Lookback.Config;
using Lookback.Tests.Addon;
using static Lookback.Tests.Config.ConfigTestHelpers;

namespace Lookback.Tests.Config;

/// <summary>
/// The option declarations (Options.cs, <see cref="OptionTable"/>) and their copies: config.yaml's <c>options:</c> and
/// <c>schema:</c>, translations/en.yaml, DOCS.md's tables, the binder's defaults. A drift fails with the line to change;
/// <c>bash scripts/dev.sh options</c> rewrites the files from the declarations.
/// </summary>
public class OptionTableFileTests
{
    public static TheoryData<string, string> Blocks()
    {
        var data = new TheoryData<string, string>();
        foreach (var (file, start, _, _) in OptionManifest.Blocks()) data.Add(file, start);
        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void The_file_block_is_what_the_declarations_give(string file, string start)
    {
        var (_, _, end, text) = OptionManifest.Blocks().Single(b => b.File == file && b.Start == start);
        var lines = File.ReadAllLines(AddonFiles.PathOf(file.Split('/')));
        var found = OptionManifest.Find(lines, start, end);
        Assert.True(found is not null, $"{file}: no line '{start}' (run: bash scripts/dev.sh options)");
        var diff = OptionManifest.Diff(file, found.Value.FirstLine, found.Value.Lines, OptionManifest.Split(text));
        Assert.True(diff is null, diff + " — or run: bash scripts/dev.sh options");
    }

    /// <summary>Run by <c>bash scripts/dev.sh options</c> (LOOKBACK_WRITE_OPTIONS=1): writes the blocks into the files.</summary>
    [Fact]
    public void Write_the_files_when_asked()
    {
        if (Environment.GetEnvironmentVariable("LOOKBACK_WRITE_OPTIONS") != "1") return;
        OptionManifest.Write(AddonFiles.Root);
    }

    [Fact]
    public void Every_add_on_option_has_a_name_and_a_description_and_names_its_default_right()
    {
        var problems = new List<string>();
        foreach (var o in OptionTable.All.Where(o => o.InAddon))
        {
            if (string.IsNullOrWhiteSpace(o.Attribute.Name) || string.IsNullOrWhiteSpace(o.Attribute.Description))
                problems.Add($"{o.Path}: needs Name and Description");
            foreach (System.Text.RegularExpressions.Match m in OptionManifest.DefaultInText().Matches(o.Attribute.Description ?? ""))
                if (o.DefaultText is { } d && m.Groups[1].Value != d)
                    problems.Add($"{o.Path}: the description says '(default {m.Groups[1].Value}', the declared default is {d}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Keys_are_unique_per_section_and_add_on_fields_per_level()
    {
        foreach (var s in OptionTable.All.Select(o => o.Section).Distinct())
            Assert.Equal(s.Keys.Count, s.Keys.Distinct().Count());
        foreach (var level in new[] { "", "mqtt", "cameras[]", "triggers[]" })
        {
            var names = OptionTable.AddonFields(level).Select(o => o.AddonName).ToList();
            Assert.Equal(names.Count, names.Distinct().Count());
        }
    }

    /// <summary>A configuration that sets nothing binds to every declared default.</summary>
    [Fact]
    public void The_binder_gives_the_declared_defaults()
    {
        var o = AssertValid(ConfigLoader.Parse("""
            mqtt: {}
            cameras:
              cam:
                url: http://cam/snapshot.jpg
            """, "test.yaml"));
        var cam = Assert.Single(o.Cameras);
        var problems = new List<string>();
        void Check(object record, OptionSection section)
        {
            foreach (var spec in section.Options.Where(s => s.Child is null && s.Default is not null and not System.Collections.ICollection))
            {
                var actual = spec.Property.GetValue(record);
                if (!Equals(actual, spec.Default))
                    problems.Add($"{spec.Path}: bound {Convert.ToString(actual, CultureInfo.InvariantCulture)}, declared {Convert.ToString(spec.Default, CultureInfo.InvariantCulture)}");
            }
        }
        Check(o, OptionTable.Root);
        Check(o.Mqtt!, OptionTable.Section<MqttOptions>());
        Check(o.Http, OptionTable.Section<HttpOptions>());
        Check(o.Storage, OptionTable.Section<StorageOptions>());
        Check(o.Timelapse, OptionTable.Section<TimelapseOptions>());
        Check(cam, OptionTable.Section<CameraOptions>());
        Check(cam.Motion, OptionTable.Section<MotionOptions>());
        Check(cam.Gif, OptionTable.Section<GifOptions>());
        Check(cam.Warnings, OptionTable.Section<WarningOptions>());
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>Every declared bound is the binder's: a value just outside is refused with the range's text.</summary>
    [Fact]
    public void The_binder_refuses_values_outside_the_declared_range()
    {
        var problems = new List<string>();
        foreach (var (spec, yaml) in Sections())
            foreach (var bad in Outside(spec.Range))
            {
                var text = bad.ToString(CultureInfo.InvariantCulture);
                var result = ConfigLoader.Parse(yaml(spec.Key, text), "test.yaml");
                var error = result.Errors.FirstOrDefault(e => e.Path.EndsWith("." + spec.Key, StringComparison.Ordinal));
                if (error is null || !error.Message.Contains(spec.Range.Describe(), StringComparison.Ordinal))
                    problems.Add($"{spec.Path} = {text}: {(error is null ? Dump(result) : error.Message)}");
            }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static IEnumerable<double> Outside(NumberRange r)
    {
        if (r.Min is { } lo) yield return r.MinExclusive ? lo : lo - (r.Whole ? 1 : 0.5);
        if (r.Max is { } hi && hi < int.MaxValue) yield return hi + (r.Whole ? 1 : 0.5);
    }

    /// <summary>Numeric options with a range, each with a YAML document that sets it.</summary>
    private static IEnumerable<(OptionSpec Spec, Func<string, string, string> Yaml)> Sections()
    {
        const string camera = "cameras:\n  cam:\n    url: rtsp://cam/s\n";
        var where = new (OptionSection Section, Func<string, string, string> Yaml)[]
        {
            (OptionTable.Section<MqttOptions>(), (k, v) => $"mqtt:\n  {k}: {v}\n" + camera),
            (OptionTable.Section<HttpOptions>(), (k, v) => $"http:\n  {k}: {v}\n" + camera),
            (OptionTable.Section<StorageOptions>(), (k, v) => $"storage:\n  {k}: {v}\n" + camera),
            (OptionTable.Section<TimelapseOptions>(), (k, v) => $"timelapse:\n  {k}: {v}\n" + camera),
            (OptionTable.Section<CameraOptions>(), (k, v) => camera + $"    {k}: {v}\n"),
            (OptionTable.Section<MotionOptions>(), (k, v) => camera + $"    motion:\n      {k}: {v}\n"),
            (OptionTable.Section<GifOptions>(), (k, v) => camera + $"    gif:\n      {k}: {v}\n"),
            (OptionTable.Section<WarningOptions>(), (k, v) => camera + $"    warnings:\n      {k}: {v}\n"),
        };
        foreach (var (section, yaml) in where)
            foreach (var spec in section.Options.Where(s => s.Child is null && !s.Attribute.Size && (s.Range.Min is not null || s.Range.Max is not null)))
                yield return (spec, yaml);
    }
}

/// <summary>The declarations' readers outside Config: MQTT commands, discovery, add-on field mapping.</summary>
public class OptionTableReaderTests
{
    [Fact]
    public void Motion_threshold_range_is_the_declared_one_everywhere()
    {
        var range = MotionOptions.ThresholdRange;
        Assert.Equal((1d, 255d), (range.Min, range.Max));
        var min = range.Min!.Value.ToString(CultureInfo.InvariantCulture);
        var max = range.Max!.Value.ToString(CultureInfo.InvariantCulture);
        Assert.True(Lookback.Mqtt.CommandParser.Parse("c", "motion_threshold", System.Text.Encoding.UTF8.GetBytes(max)).Ok);
        Assert.False(Lookback.Mqtt.CommandParser.Parse("c", "motion_threshold", System.Text.Encoding.UTF8.GetBytes((range.Max + 1)!.Value.ToString(CultureInfo.InvariantCulture))).Ok);
        Assert.False(Lookback.Mqtt.CommandParser.Parse("c", "motion_threshold", System.Text.Encoding.UTF8.GetBytes((range.Min - 1)!.Value.ToString(CultureInfo.InvariantCulture))).Ok);
        Assert.Contains($"int({min},{max})", File.ReadAllText(AddonFiles.PathOf("config.yaml")));
    }

    [Fact]
    public void Addon_motion_url_stays_a_camera_field()
    {
        // motion_url starts with motion_ but is the camera's own field (it used to be moved to motion.url and refused)
        var o = AssertValid(ConfigLoader.FromAddonOptions("""
            {"cameras": [{"slug": "cam", "url": "http://cam/a.jpg", "motion_url": "http://cam/small.jpg", "motion_threshold": 40}]}
            """));
        var cam = Assert.Single(o.Cameras);
        Assert.Equal(("http://cam/small.jpg", 40), (cam.MotionUrl, cam.Motion.Threshold));
    }

    [Fact]
    public void Addon_errors_name_the_flat_field_from_the_declaration()
    {
        var r = ConfigLoader.FromAddonOptions("""{"retain_days": -1, "cameras": [{"slug": "cam", "url": "http://cam/a.jpg", "gif_width": 8}]}""");
        AssertError(r, "retain_days", 1, NumberRange.AtLeast(0, whole: true).Describe());
        AssertError(r, "cameras[0].gif_width", 1, OptionTable.Get<GifOptions>(nameof(GifOptions.Width)).Range.Describe());
    }
}

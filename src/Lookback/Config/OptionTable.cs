using System.Collections;
using System.Globalization;
using System.Reflection;

namespace Lookback.Config;

/// <summary>
/// Every configuration option, read once from the <see cref="OptionAttribute"/>s on the options records (Options.cs).
/// </summary>
/// <remarks>
/// <para><b>How to add an option.</b> (1) Add the property to its record in <c>Config/Options.cs</c> with its default as
/// the initial value and an <c>[Option("key", …)]</c> attribute: range (<c>Min</c>/<c>Max</c>/<c>MinExclusive</c>) or
/// <c>Values</c>, and — for an add-on option — <c>Addon = "flat_name"</c>, <c>Name</c> and <c>Description</c>.
/// (2) Bind it in <c>ConfigBinder</c> with one line, e.g. <c>Foo = s.Num("foo")</c> (the section's helpers take the
/// default, the range and the allowed values from this table; unknown-key checks and "did you mean" know the key
/// already). (3) Add-on option: run <c>bash scripts/dev.sh options</c>, which rewrites config.yaml's
/// <c>options:</c>/<c>schema:</c>, translations/en.yaml's <c>configuration:</c> and DOCS.md's option tables from this
/// table (<c>OptionTableFileTests</c> fail with the exact line to change when they drift). Nothing else lists keys.</para>
/// </remarks>
public static class OptionTable
{
    private static readonly Dictionary<Type, OptionSection> ByType = [];

    /// <summary>The document root (<see cref="LookbackOptions"/>).</summary>
    public static OptionSection Root { get; } = Build(typeof(LookbackOptions), "", "", null);

    /// <summary>The section whose record is <typeparamref name="T"/> (each record type is one section).</summary>
    public static OptionSection Section<T>() => ByType[typeof(T)];

    /// <summary>The option declared on <typeparamref name="T"/>'s property <paramref name="property"/> (use nameof).</summary>
    public static OptionSpec Get<T>(string property) =>
        Section<T>().Options.Single(o => o.Property.Name == property);

    /// <summary>The add-on fields at one level (<c>""</c> root, <c>mqtt</c>, <c>cameras[]</c>, <c>triggers[]</c>), in the
    /// order of config.yaml's schema: declaration order, lists last.</summary>
    public static IReadOnlyList<OptionSpec> AddonFields(string level) =>
        [.. All.Where(o => o.InAddon && o.AddonLevel == level).OrderBy(o => o.IsList ? 1 : 0)];

    /// <summary>The add-on fields at <paramref name="level"/> that the binder reads from a sub-section of
    /// <paramref name="owner"/>: flat name, sub-section key, key (<c>motion_threshold</c> → <c>motion.threshold</c>).</summary>
    public static IReadOnlyList<(string Flat, string Section, string Key)> AddonMoves(string level, OptionSection owner) =>
        [.. AddonFields(level).Where(o => o.Section != owner).Select(o => (o.AddonName!, o.Section.Path[(owner.Path.Length == 0 ? 0 : owner.Path.Length + 1)..], o.Key))];

    /// <summary>Every option of every section, depth first in declaration order.</summary>
    public static IEnumerable<OptionSpec> All => Walk(Root);

    private static IEnumerable<OptionSpec> Walk(OptionSection s)
    {
        foreach (var o in s.Options)
        {
            yield return o;
            if (o.Child is { } c)
                foreach (var d in Walk(c)) yield return d;
        }
    }

    private static OptionSection Build(Type type, string path, string? addonLevel, string? addonPrefix)
    {
        var section = new OptionSection(type, path, addonLevel, addonPrefix);
        ByType.Add(type, section);
        var defaults = Instance(type);
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.MetadataToken))
        {
            if (p.GetCustomAttribute<OptionAttribute>() is not { } a) continue;
            var itemType = ListItem(p.PropertyType);
            var recordType = itemType ?? p.PropertyType;
            var optionPath = path.Length == 0 ? a.Key : path + "." + a.Key;
            var level = addonLevel is null ? null
                : a.AddonRoot ? ""
                : addonLevel;
            OptionSection? child = null;
            if (IsRecord(recordType))
            {
                var childPath = itemType is null ? optionPath : optionPath + "[]";
                // an add-on field of its own (mqtt, cameras): its fields sit under it; else they are flattened (motion_, gif_)
                var childLevel = level is null ? null
                    : a.Addon is null ? level
                    : Join(level, a.Addon) + (itemType is null ? "" : "[]");
                child = Build(recordType, childPath, childLevel, a.AddonPrefix);
            }
            section.Add(new OptionSpec(section, p, a, p.GetValue(defaults), optionPath, a.Addon is null ? null : level, child, child is not null && itemType is not null));
        }
        return section;
    }

    private static string Join(string level, string key) => level.Length == 0 ? key : level + "." + key;

    private static bool IsRecord(Type t) =>
        t.IsClass && t != typeof(string) && t.GetProperties().Any(p => p.GetCustomAttribute<OptionAttribute>() is not null);

    private static Type? ListItem(Type t) =>
        t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) ? t.GetGenericArguments()[0] : null;

    /// <summary>A record with its initial values (required members are a compile-time rule; reflection does not need them).</summary>
    private static object Instance(Type t) => Activator.CreateInstance(t)!;
}

/// <summary>One mapping of the configuration (the root, <c>mqtt</c>, a camera, its <c>motion</c>, …) and its options.</summary>
public sealed class OptionSection(Type type, string path, string? addonLevel, string? addonPrefix)
{
    private readonly List<OptionSpec> _options = [];

    public Type Type { get; } = type;
    /// <summary>Canonical path: <c>""</c>, <c>mqtt</c>, <c>cameras[]</c>, <c>cameras[].motion</c>.</summary>
    public string Path { get; } = path;
    /// <summary>Where its add-on fields sit (<c>""</c> root, <c>mqtt</c>, <c>cameras[]</c>); null: not in the add-on.</summary>
    public string? AddonLevel { get; } = addonLevel;
    /// <summary>Prefix of its fields when flattened into the parent's add-on fields (<c>motion_</c>).</summary>
    public string? AddonPrefix { get; } = addonPrefix;
    public IReadOnlyList<OptionSpec> Options => _options;
    /// <summary>The keys the binder accepts in this mapping (unknown-key errors and "did you mean" use them).</summary>
    public IReadOnlyList<string> Keys => _options.Select(o => o.Key).ToArray();

    public OptionSpec this[string key] => _options.FirstOrDefault(o => o.Key == key)
        ?? throw new KeyNotFoundException($"option '{key}' is not declared on {Type.Name}");

    internal void Add(OptionSpec o) => _options.Add(o);
}

/// <summary>One declared option (see <see cref="OptionAttribute"/>).</summary>
public sealed class OptionSpec(OptionSection section, PropertyInfo property, OptionAttribute a, object? @default, string path,
    string? addonLevel, OptionSection? child, bool isList)
{
    public OptionSection Section { get; } = section;
    public PropertyInfo Property { get; } = property;
    public OptionAttribute Attribute { get; } = a;
    public string Key => Attribute.Key;
    /// <summary>Canonical path, e.g. <c>cameras[].motion.threshold</c>.</summary>
    public string Path { get; } = path;
    /// <summary>The record's initial value.</summary>
    public object? Default { get; } = @default;
    /// <summary>A mapping or a list of mappings (<c>mqtt</c>, <c>cameras</c>, <c>motion</c>); null for a value.</summary>
    public OptionSection? Child { get; } = child;
    public bool IsList { get; } = isList;

    /// <summary>The add-on field name (<c>motion_threshold</c>) and its level (<c>cameras[]</c>); null: not an add-on option.</summary>
    public string? AddonName => Attribute.Addon;
    public string? AddonLevel { get; } = addonLevel;
    public bool InAddon => AddonName is not null && AddonLevel is not null;

    /// <summary>The value type without nullability.</summary>
    public Type ValueType => Nullable.GetUnderlyingType(Property.PropertyType) ?? Property.PropertyType;

    public bool IsWhole => ValueType == typeof(int) || ValueType == typeof(long);

    public NumberRange Range => new(
        double.IsNaN(Attribute.Min) ? null : Attribute.Min,
        double.IsNaN(Attribute.Max) ? null : Attribute.Max,
        Attribute.MinExclusive, IsWhole);

    /// <summary>Allowed values: <see cref="OptionAttribute.Values"/>, else an enum's names in lower case; null: free.</summary>
    public IReadOnlyList<string>? Values =>
        Attribute.Values ?? (ValueType.IsEnum ? Enum.GetNames(ValueType).Select(n => n.ToLowerInvariant()).ToArray() : null);

    /// <summary>The default as the documentation writes it: <c>25</c>, <c>0.1</c>, <c>on</c>, <c>10GB</c>, <c>tcp</c>; null when none.</summary>
    public string? DefaultText => Default is Enum && Values is { } allowed && !allowed.Contains(Default.ToString()!.ToLowerInvariant()) ? null : Default switch
    {
        null => null,
        bool b => b ? "on" : "off",
        long or int when Attribute.Size => FormatSize(Convert.ToInt64(Default, CultureInfo.InvariantCulture)),
        double d => d.ToString(CultureInfo.InvariantCulture),
        IFormattable f when !ValueType.IsEnum => f.ToString(null, CultureInfo.InvariantCulture),
        Enum e => e.ToString().ToLowerInvariant(),
        string s => s,
        ICollection { Count: 0 } => null,
        _ => null,
    };

    /// <summary>Bytes as the largest whole unit: 10GB, 64MB, 512KB, 100 (bytes).</summary>
    public static string FormatSize(long bytes)
    {
        foreach (var (unit, size) in new[] { ("TB", 1L << 40), ("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10) })
            if (bytes >= size && bytes % size == 0) return (bytes / size).ToString(CultureInfo.InvariantCulture) + unit;
        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    public override string ToString() => Path;
}

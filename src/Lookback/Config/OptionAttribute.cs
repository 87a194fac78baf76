namespace Lookback.Config;

/// <summary>
/// Declares one configuration option on the property of an options record (<see cref="LookbackOptions"/> and the
/// records below it): its key, its add-on field, its range or allowed values, and its text. The default is the
/// property's initial value. <see cref="OptionTable"/> reads these once; the binder, the add-on options shape,
/// config.yaml's <c>schema:</c>/<c>options:</c>, translations/en.yaml, DOCS.md's tables, MQTT commands and Home
/// Assistant entities all read the table. See "How to add an option" in <see cref="OptionTable"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class OptionAttribute(string key) : Attribute
{
    /// <summary>The key in the configuration file (snake_case), e.g. <c>threshold</c> under <c>motion:</c>.</summary>
    public string Key { get; } = key;

    /// <summary>The add-on option's flat field name (e.g. <c>motion_threshold</c> in a camera); null: not an add-on option.</summary>
    public string? Addon { get; set; }
    /// <summary>The add-on field sits at the root of the add-on options (e.g. <c>topic_prefix</c>, bound to <c>mqtt.topic_prefix</c>).</summary>
    public bool AddonRoot { get; set; }
    /// <summary>The add-on schema element when the type does not give it: <c>password</c>, <c>url</c>, <c>port</c>, <c>match(…)</c>.</summary>
    public string? AddonType { get; set; }
    /// <summary>Required in the add-on schema (no <c>?</c>); root-level required fields take their default into <c>options:</c>.</summary>
    public bool AddonRequired { get; set; }
    /// <summary>Sub-sections flattened into their parent's add-on fields with this prefix (<c>motion_</c>, <c>gif_</c>).</summary>
    public string? AddonPrefix { get; set; }

    /// <summary>Lower bound (NaN: none).</summary>
    public double Min { get; set; } = double.NaN;
    /// <summary>Upper bound, inclusive (NaN: none).</summary>
    public double Max { get; set; } = double.NaN;
    /// <summary>The value must be greater than <see cref="Min"/> (not equal).</summary>
    public bool MinExclusive { get; set; }
    /// <summary>Allowed values of a text or enum option (default: an enum's names in lower case).</summary>
    public string[]? Values { get; set; }
    /// <summary>A byte size: a whole number or text like <c>512MB</c>, <c>10GB</c>.</summary>
    public bool Size { get; set; }
    /// <summary>A secret (a password or token): never logged, a <c>password</c> field in the add-on.</summary>
    public bool Secret { get; set; }

    /// <summary>Short name (add-on UI label).</summary>
    public string? Name { get; set; }
    /// <summary>What it does (add-on UI and DOCS.md). A "(default X)" in it must name the declared default (a test checks).</summary>
    public string? Description { get; set; }
}

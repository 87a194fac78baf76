using System.Globalization;

namespace Lookback.Config;

/// <summary>
/// The allowed values of one number: an optional lower bound (inclusive, or exclusive for "greater than"), an optional
/// inclusive upper bound, and whether only whole numbers are allowed. One range serves every door that checks the
/// number (config binder, add-on schema, MQTT commands, Home Assistant number entities, HTTP), so its text is the same.
/// </summary>
public readonly record struct NumberRange(double? Min, double? Max, bool MinExclusive = false, bool Whole = false)
{
    /// <summary>Any number.</summary>
    public static NumberRange Any => new(null, null);
    public static NumberRange Between(double min, double max) => new(min, max);
    public static NumberRange WholeBetween(double min, double max) => new(min, max, Whole: true);
    /// <summary>Greater than <paramref name="min"/>, optionally at most <paramref name="max"/>.</summary>
    public static NumberRange Over(double min, double? max = null) => new(min, max, MinExclusive: true);
    public static NumberRange AtLeast(double min, bool whole = false) => new(min, null, Whole: whole);

    public bool Contains(double v) =>
        !double.IsNaN(v)
        && (Min is not { } lo || (MinExclusive ? v > lo : v >= lo))
        && (Max is not { } hi || v <= hi)
        && (!Whole || v == Math.Floor(v));

    /// <summary>"between 1 and 255", "greater than 0", "greater than 0 and at most 30", "at least 1", "0 or more".</summary>
    public string Describe() => (Min, Max, MinExclusive) switch
    {
        ({ } lo, { } hi, false) => $"between {F(lo)} and {F(hi)}",
        ({ } lo, { } hi, true) => $"greater than {F(lo)} and at most {F(hi)}",
        ({ } lo, null, true) => $"greater than {F(lo)}",
        ({ } lo, null, false) => Whole ? $"at least {F(lo)}" : $"{F(lo)} or more",
        (null, { } hi, _) => $"at most {F(hi)}",
        _ => "a number",
    };

    /// <summary>Null when <paramref name="v"/> is in the range, else "must be …" (the binder's wording).</summary>
    public string? Problem(double v) => Contains(v) ? null : "must be " + Describe();

    public static string F(double d) => d.ToString(CultureInfo.InvariantCulture);
}

using System.Reflection;

namespace Lookback.Common;

/// <summary>Lookback's version (the assembly's informational version without the source hash).</summary>
public static class BuildInfo
{
    public static string Version { get; } =
        (typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];
}

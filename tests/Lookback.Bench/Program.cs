// Benchmarks: `dotnet run -c Release --project tests/Lookback.Bench -- [name ...]`. Each prints a table.
using System.Reflection;

namespace Lookback.Bench;

/// <summary>Marks a static class with a <c>public static Task RunAsync(string[] args)</c> as a benchmark.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class BenchAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var benches = typeof(Program).Assembly.GetTypes()
            .Select(t => (t, a: t.GetCustomAttribute<BenchAttribute>()))
            .Where(x => x.a is not null)
            .ToDictionary(x => x.a!.Name, x => x.t, StringComparer.OrdinalIgnoreCase);
        // Names come first; options (--x [value]) follow and belong to the benchmarks.
        var named = args.TakeWhile(a => !a.StartsWith('-')).ToArray();
        var names = named.Length == 0 ? benches.Keys.Order().ToArray() : named;
        foreach (var n in names)
        {
            if (!benches.TryGetValue(n, out var type))
            {
                Console.Error.WriteLine($"unknown benchmark '{n}'; known: {string.Join(", ", benches.Keys.Order())}");
                return 2;
            }
            Console.WriteLine($"## {n}");
            var run = type.GetMethod("RunAsync", BindingFlags.Public | BindingFlags.Static)!;
            await (Task)run.Invoke(null, [args])!;
            Console.WriteLine();
        }
        return 0;
    }
}

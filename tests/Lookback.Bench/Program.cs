// Benchmarks: `dotnet run -c Release --project tests/Lookback.Bench -- [name ...]`. Each prints a table.
namespace Lookback.Bench;

public static class Program
{
    private static readonly Dictionary<string, Func<Task>> Benches = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Benchmarks register here by name (one static class each, in its own file).</summary>
    public static void Register(string name, Func<Task> run) => Benches[name] = run;

    public static async Task<int> Main(string[] args)
    {
        BenchRegistry.RegisterAll();
        var names = args.Length == 0 ? Benches.Keys.Order().ToArray() : args;
        foreach (var n in names)
        {
            if (!Benches.TryGetValue(n, out var run)) { Console.Error.WriteLine($"unknown benchmark '{n}'; known: {string.Join(", ", Benches.Keys)}"); return 2; }
            Console.WriteLine($"## {n}");
            await run();
            Console.WriteLine();
        }
        return 0;
    }
}

/// <summary>Each benchmark file adds one line here: Program.Register("name", Class.RunAsync).</summary>
internal static partial class BenchRegistry
{
    public static void RegisterAll()
    {
    }
}

namespace Lookback.Hosting;

public static class Program
{
    public static int Main(string[] args) => 0; // STUB: CLI verbs are wired in issue "Core path".
}

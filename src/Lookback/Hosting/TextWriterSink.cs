using Serilog.Events;

namespace Lookback.Hosting;

/// <summary>Writes log events to a TextWriter (tests capture the log this way).</summary>
internal sealed class TextWriterSink(TextWriter writer, string template) : Serilog.Core.ILogEventSink
{
    private readonly Serilog.Formatting.Display.MessageTemplateTextFormatter _format = new(template);

    public void Emit(LogEvent logEvent)
    {
        lock (writer) { _format.Format(logEvent, writer); writer.Flush(); }
    }
}

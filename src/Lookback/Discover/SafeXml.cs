using System.Xml;
using System.Xml.Linq;

namespace Lookback.Discover;

/// <summary>A reply that is not what was asked for (not XML, a DTD, too big, wrong namespace, a SOAP fault): the
/// message is one user-facing line naming the sender.</summary>
public sealed class DiscoverReplyException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Parses replies from the network without trusting them: no DTD (so no entity expansion: XML bombs are refused
/// before anything grows), no external resolution, a cap on the characters read.
/// </summary>
public static class SafeXml
{
    public static XDocument Parse(byte[] bytes, int maxChars, string from)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = maxChars,
            MaxCharactersFromEntities = 0,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            CloseInput = true,
        };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(bytes, writable: false), settings);
            return XDocument.Load(reader, LoadOptions.None);
        }
        catch (XmlException ex) when (ex.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase))
        {
            throw new DiscoverReplyException($"{from}: refused: the reply declares a DTD (entities are not expanded)");
        }
        catch (XmlException ex) when (ex.Message.Contains("exceeds", StringComparison.OrdinalIgnoreCase)
                                      || ex.Message.Contains("MaxCharacters", StringComparison.OrdinalIgnoreCase))
        {
            throw new DiscoverReplyException($"{from}: refused: the reply is larger than {maxChars / 1024} KiB");
        }
        catch (XmlException ex)
        {
            throw new DiscoverReplyException($"{from}: not well-formed XML (line {ex.LineNumber}, position {ex.LinePosition})");
        }
    }
}

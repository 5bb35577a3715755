using System.Text.Json;
using SkyMix.Theory;

namespace SkyMix.Io;

/// <summary>JSON output (indented UTF-8) with every number checked: a NaN or ∞ is a bug, never written.</summary>
public static class Json
{
    /// <summary>Writes a JSON document atomically.</summary>
    public static void Write(string path, Action<Utf8JsonWriter> body) =>
        Files.Write(path, s =>
        {
            using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
            body(w);
        });

    /// <summary>A finite number, or an exception naming the field.</summary>
    public static void Number(this Utf8JsonWriter w, string name, double value)
    {
        if (!double.IsFinite(value)) throw new InvalidOperationException($"{name} is {value}; refusing to write a non-finite number");
        w.WriteNumber(name, value);
    }

    /// <summary>An array of finite numbers.</summary>
    public static void Numbers(this Utf8JsonWriter w, string name, IEnumerable<double> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            if (!double.IsFinite(v)) throw new InvalidOperationException($"{name} holds {v}; refusing to write a non-finite number");
            w.WriteNumberValue(v);
        }
        w.WriteEndArray();
    }
}

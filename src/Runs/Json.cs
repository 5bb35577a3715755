using System.Text.Json;
using SkyMix.Theory;

namespace SkyMix.Runs;

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

    /// <summary>
    /// Reads a JSON file through <paramref name="read"/>; a missing, unreadable or malformed file, a missing
    /// key, a value of the wrong kind or out of range is an <see cref="InputError"/> naming the file.
    /// </summary>
    public static T Read<T>(string file, string what, Func<JsonElement, T> read)
    {
        if (!File.Exists(file)) throw new InputError($"{file}: no such file");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            return read(doc.RootElement);
        }
        catch (InputError e) { throw new InputError($"{file}: {e.Message}"); }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException
                                      or OverflowException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new InputError($"{file}: not {what}, or damaged ({e.Message.Split('\n')[0].TrimEnd('.')})");
        }
    }

    /// <summary>The value under <paramref name="name"/>; a missing key is a <see cref="FormatException"/> naming it
    /// (reported by <see cref="Read{T}"/> as a damaged file).</summary>
    public static JsonElement Key(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v
            : throw new FormatException($"no key \"{name}\"");

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

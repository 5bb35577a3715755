using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// Output files are written to a temporary name in the target folder and renamed at the end, so a reader
/// (or a crash) never sees a half-written file. Paths are checked before any long computation starts.
/// </summary>
public static class Files
{
    /// <summary>
    /// Fails with an <see cref="InputError"/> unless <paramref name="path"/> can be created as a file: its
    /// folder exists and takes a new file (a probe is created and removed). Called before long computations.
    /// </summary>
    public static void CheckWritable(string? path, string what)
    {
        if (path is null) return;
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new InputError($"{what} {path} is a folder; give a file name");
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            throw new InputError($"cannot write {what} {path}: folder {dir} does not exist");
        Probe(dir, $"cannot write {what} {path}");
    }

    /// <summary>Creates the folder <paramref name="dir"/> if needed and checks that it takes new files.</summary>
    public static void CheckFolder(string dir, string what)
    {
        if (File.Exists(dir)) throw new InputError($"{what} {dir} is a file; give a folder");
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new InputError($"cannot create {what} {dir} ({e.Message})"); }
        Probe(dir, $"cannot write to {what} {dir}");
    }

    static void Probe(string dir, string what)
    {
        var probe = Path.Combine(dir, $".skymix-probe-{Environment.ProcessId}");
        try
        {
            File.WriteAllBytes(probe, Array.Empty<byte>());
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputError($"{what} ({e.Message})");
        }
    }

    /// <summary>Writes a file atomically through a stream.</summary>
    public static void Write(string path, Action<Stream> body)
    {
        var full = Path.GetFullPath(path);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var s = new FileStream(tmp, FileMode.Create, FileAccess.Write))
                body(s);
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    /// <summary>Writes a UTF-8 text file atomically ('\n' line ends), or to stdout when path is null.</summary>
    public static void WriteText(string? path, Action<TextWriter> body)
    {
        if (path is null)
        {
            body(Console.Out);
            Console.Out.Flush();
            return;
        }
        Write(path, s =>
        {
            using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
            body(w);
        });
    }
}

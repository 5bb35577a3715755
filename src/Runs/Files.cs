using System.Runtime.InteropServices;
using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// Output files are written to a temporary name in the target's folder and renamed onto it at the end, so a
/// reader (or a crash) never sees a half-written file. A symbolic link is followed and its target replaced (the
/// link stays); a FIFO or a device is written directly (it cannot be replaced); "-" is standard output. Paths
/// are checked before any long computation starts.
/// </summary>
public static class Files
{
    /// <summary>The output name that means standard output.</summary>
    public const string StandardOutput = "-";

    /// <summary>Temporary files being written now (the process's, across threads), removed by
    /// <see cref="RemoveTemporary"/> when the process is interrupted.</summary>
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> inFlight = new();

    /// <summary>The files this process has finished writing, in order (for the message when it is interrupted).</summary>
    static readonly System.Collections.Concurrent.ConcurrentQueue<string> finished = new();

    /// <summary>The files this process has finished writing so far.</summary>
    public static IReadOnlyCollection<string> Finished => finished;

    /// <summary>Removes every temporary file still being written (on Ctrl-C: nothing half-written stays).</summary>
    public static void RemoveTemporary()
    {
        foreach (var tmp in inFlight.Keys)
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "stat")]
    static extern int Stat(string path, byte[] buffer);

    /// <summary>True when path (links followed) is a FIFO, a device or a socket: something to write into, not
    /// to replace. Uses stat(2) (st_mode at byte 24 on x86-64 Linux, 16 on arm64); false where it cannot tell.</summary>
    static bool IsSpecial(string path)
    {
        if (!OperatingSystem.IsLinux()) return false;
        var offset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (offset < 0) return false;
        var buffer = new byte[256];
        try
        {
            if (Stat(path, buffer) != 0) return false;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
        var type = BitConverter.ToUInt32(buffer, offset) & 0xF000;
        return type is not (0x8000 or 0x4000); // neither a regular file nor a folder
    }

    /// <summary>Where writing to path lands: the final target of a symbolic link (made absolute), else path.</summary>
    static string Target(string path)
    {
        var full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (info.LinkTarget is null) return full;
        var target = info.ResolveLinkTarget(returnFinalTarget: true);
        return target is null ? full : Path.GetFullPath(target.FullName);
    }

    /// <summary>
    /// Fails with an <see cref="InputError"/> unless <paramref name="path"/> can be written: "-" (standard
    /// output), an existing FIFO or device, or a file whose folder exists and takes a new file (a probe is
    /// created and removed). Called before long computations.
    /// </summary>
    public static void CheckWritable(string? path, string what)
    {
        if (path is null || path == StandardOutput) return;
        if (path.Length == 0) throw new InputError($"{what}: the file name is empty; give a file name, or - for standard output");
        if (File.Exists(path) && IsSpecial(path)) return;
        var full = Target(path);
        if (Directory.Exists(full))
            throw new InputError($"{what} {path} is a folder; give a file name");
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            throw new InputError($"cannot write {what} {path}: folder {dir} does not exist");
        Probe(dir, $"cannot write {what} {path}");
    }

    /// <summary>
    /// Refuses two outputs on one file (after following links), and an output on one of the inputs: each
    /// would silently replace the other; two outputs on "-" (standard output) would mix. Null names are left out.
    /// </summary>
    public static void CheckDistinct(IEnumerable<(string? Path, string What)> outputs, IEnumerable<string> inputs)
    {
        var seen = new Dictionary<string, string>();
        foreach (var input in inputs)
            seen[Target(input)] = $"the input {input}";
        foreach (var (path, what) in outputs)
        {
            if (path is null || path.Length == 0) continue;
            var target = path == StandardOutput ? StandardOutput : Target(path);
            if (seen.TryGetValue(target, out var other))
                throw new InputError($"{what} {path} is the same file as {other}; give each output its own file");
            seen[target] = $"{what} {path}";
        }
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

    /// <summary>Writes a file through a stream: atomically (a temporary name, then renamed onto the target of a
    /// link, or onto the file), directly into a FIFO or device, or to standard output for "-".</summary>
    public static void Write(string path, Action<Stream> body)
    {
        if (path == StandardOutput)
        {
            using var stdout = Console.OpenStandardOutput();
            body(stdout);
            stdout.Flush();
            return;
        }
        if (File.Exists(path) && IsSpecial(path))
        {
            using (var device = new FileStream(path, FileMode.Open, FileAccess.Write))
                body(device);
            finished.Enqueue(path);
            return;
        }
        var full = Target(path);
        var tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        inFlight[tmp] = 0;
        try
        {
            using (var s = new FileStream(tmp, FileMode.Create, FileAccess.Write))
                body(s);
            File.Move(tmp, full, overwrite: true);
            finished.Enqueue(path);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
        finally
        {
            inFlight.TryRemove(tmp, out _);
        }
    }

    /// <summary>Writes a UTF-8 text file as <see cref="Write"/> does ('\n' line ends), or to stdout when path is
    /// null or "-".</summary>
    public static void WriteText(string? path, Action<TextWriter> body)
    {
        if (path is null || path == StandardOutput)
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

using System.Reflection;
using SkyMix.CliArgs;
using SkyMix.Io;
using SkyMix.Theory;

namespace SkyMix.Cli;

/// <summary>
/// Entry point of <c>skymix</c>. Exit codes: 0 success, 2 bad input (one line on stderr saying what and
/// what is allowed), 1 a run that failed for another reason.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            return Parse.parse(args) switch
            {
                Parse.Command.Cl c => Cl(c.Item),
                Parse.Command.Help h => Print(h.text),
                _ => Version(),
            };
        }
        catch (Parse.UsageError e) { return Fail(e.message, 2); }
        catch (InputError e) { return Fail(e.Message, 2); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { return Fail(e.Message, 1); }
    }

    static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"skymix: {message}");
        return code;
    }

    static int Print(string text)
    {
        Console.WriteLine(text);
        return 0;
    }

    static string VersionText =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    static int Version()
    {
        Console.WriteLine($"skymix {VersionText}");
        foreach (var line in SkyMix.Gpu.Accelerators.Describe()) Console.WriteLine($"  {line}");
        return 0;
    }

    /// <summary><c>skymix cl MAP</c>: C_ℓ of a HEALPix RING map as healpy's anafast.</summary>
    static int Cl(Parse.ClOptions o)
    {
        var map = MapCsv.Read(o.Map);
        var nside = Healpix.nsideOfNpix(map.Length)!.Value;
        var lmax = o.Lmax ?? 3 * nside - 1;
        var cl = Api.angularSpectrum(map, lmax, o.Iter);
        Csv.Write(o.Out, w =>
        {
            w.WriteLine("l,cl");
            for (var l = 0; l < cl.Length; l++) w.WriteLine($"{l},{Csv.Num(cl[l])}");
        });
        return 0;
    }
}

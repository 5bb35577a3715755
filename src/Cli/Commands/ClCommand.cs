using SkyMix.CliArgs;
using SkyMix.Runs;
using SkyMix.Theory;

namespace SkyMix.Cli.Commands;

/// <summary><c>skymix cl MAP</c>: C_ℓ of a HEALPix RING map as healpy's anafast.</summary>
public static class ClCommand
{
    public static int Run(Parse.ClOptions o)
    {
        Files.CheckWritable(o.Out, "--out");
        Files.CheckDistinct(new[] { ((string?)o.Out, "--out") }, new[] { o.Map });
        var map = Fits.Looks(o.Map) ? Fits.Read(o.Map) : MapCsv.Read(o.Map);
        var nside = Healpix.nsideOfNpix(map.Length)!.Value;
        if (o.Lmax > 3 * nside - 1 && o.Lmax <= 8 * nside)
            Console.Error.WriteLine($"skymix: warning: --lmax {o.Lmax} exceeds 3·Nside − 1 = {3 * nside - 1}: a map of Nside {nside} does not resolve " +
                                    "the multipoles above it, so C_ℓ there is aliased power, not the sky's (healpy warns alike)");
        var cl = Api.angularSpectrum(map, o.Lmax ?? 3 * nside - 1, o.Iter);
        Files.AllOrNone(() => Csv.WriteSpectrum(o.Out, cl));
        return 0;
    }
}

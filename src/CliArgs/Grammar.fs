/// SkyMix's command-line grammar, one Argu union per command. Flags are kebab-case; units are in the help.
module SkyMix.CliArgs.Grammar

open Argu

type ClArgs =
    | [<MainCommand; ExactlyOnce>] Map of file: string
    | Lmax of l: int
    | Iter of n: int
    | Out of file: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Map _ -> "HEALPix RING map, CSV with columns ipix,f (Nside from the row count)."
            | Lmax _ -> "largest multipole ℓ (default 3·Nside − 1; any ℓ ≥ 0 is allowed)."
            | Iter _ -> "Jacobi iterations, as healpy's anafast iter (default 0: the plain pixel sum)."
            | Out _ -> "write the spectrum to this CSV file (columns l,cl) instead of stdout."

[<HelpDescription("show this help")>]
type SkymixArgs =
    | [<CliPrefix(CliPrefix.None)>] Cl of ParseResults<ClArgs>
    | Version

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Cl _ -> "angular power spectrum C_ℓ of a HEALPix map (healpy anafast)."
            | Version -> "print the version, the git commit and the accelerators found."

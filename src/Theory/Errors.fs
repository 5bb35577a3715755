namespace SkyMix.Theory

/// Raised at the library's boundary when an input is outside what a function accepts. The message is
/// one sentence for a physicist: what was wrong and what is allowed. The command line turns it into
/// exit code 2; anything else escaping is a bug.
type InputError(message: string) =
    inherit System.ArgumentException(message)

[<AutoOpen>]
module internal Fail =
    /// Raises InputError with the given message.
    let inputError (message: string) : 'a = raise (InputError message)

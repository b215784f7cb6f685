//! One file per subcommand: flags in, a call into the library, output out.

pub(crate) mod derive;
pub(crate) mod face;
pub(crate) mod run;
pub(crate) mod serve;
pub(crate) mod sign;
pub(crate) mod sweep;

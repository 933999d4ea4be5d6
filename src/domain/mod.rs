//! Domain identifiers, parsed once at the edge and trusted everywhere else.
//!
//! Each type here has a private field and can only be built through `FromStr` /
//! `TryFrom`, so a value that exists is a valid one ("parse, don't validate").
//! They hold no I/O and no configuration. [`text`] is the one policy for
//! the characters of free text.

mod act_id;
mod act_number;
mod digest;
mod siren;
mod template_id;
pub mod text;

pub use act_id::{ActId, ActIdError};
pub use act_number::{ActNumber, ActNumberError, NumberFormat, NumberFormatError, Series, SeriesError};
pub use digest::{DigestError, Sha256Digest, Sha512Digest};
pub use siren::{Siren, SirenError};
pub use template_id::{TemplateId, TemplateIdError};

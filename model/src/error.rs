//! Errors of the shared model.

/// What went wrong when a value does not follow the model's conventions.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A timestamp precision name that is none of the known ones (user error).
    #[error("invalid precision {given:?} (use n, ns, u, us, ms, s, m or h)")]
    InvalidPrecision {
        /// The name as given.
        given: String,
    },
    /// A record batch that does not follow the point conventions of [`crate::schema`].
    #[error("invalid write batch: {reason}")]
    InvalidBatch {
        /// What convention the batch breaks.
        reason: String,
    },
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

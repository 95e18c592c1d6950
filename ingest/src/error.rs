//! Errors of ingest.

/// What went wrong in ingest, by who must act.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bug: something that valid input can never cause.
    #[error("internal error while {context}: {source}")]
    Internal {
        /// What ingest was doing.
        context: String,
        /// The underlying Arrow error.
        source: arrow::error::ArrowError,
    },
    /// A listener could not be started (external: the address is taken or not ours).
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The engine's errors, by who must act on them.

use condenser_planner::Diagnostics;

/// What went wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The task's script asks for something the engine cannot run: its author must change
    /// it. Each diagnostic names the place in the script.
    #[error("the task cannot run: {}", .0.0.iter().map(|d| d.message.as_str()).collect::<Vec<_>>().join("; "))]
    Script(Diagnostics),
    /// The data cannot be processed as the task says (a field of a type a node cannot
    /// take); the points concerned are dropped and the task goes on.
    #[error("{0}")]
    Data(String),
    /// A service outside the engine failed (an HTTP endpoint, the operating system).
    #[error("{service}: {message}")]
    External {
        /// What was called.
        service: String,
        /// What went wrong.
        message: String,
    },
    /// No task has this id.
    #[error("no task {0:?}")]
    UnknownTask(String),
    /// The engine has stopped.
    #[error("the engine is not running")]
    Stopped,
    /// A bug in Condenser: something the engine's own invariants rule out.
    #[error("internal error: {0}. This is likely caused by a bug in Condenser")]
    Internal(String),
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An internal error: `what` went wrong that the engine's invariants rule out.
    pub fn internal(what: impl std::fmt::Display) -> Error {
        Error::Internal(what.to_string())
    }
}

/// Arrow fails only where the engine built arrays of the wrong shape: a bug.
impl From<arrow::error::ArrowError> for Error {
    fn from(error: arrow::error::ArrowError) -> Self {
        Error::Internal(error.to_string())
    }
}

/// DataFusion fails where an expression meets data it cannot evaluate (an integer divided
/// by zero) or where the engine built an expression wrongly.
impl From<datafusion_common::DataFusionError> for Error {
    fn from(error: datafusion_common::DataFusionError) -> Self {
        match error {
            datafusion_common::DataFusionError::ArrowError(error, _)
                if matches!(*error, arrow::error::ArrowError::DivideByZero) =>
            {
                Error::Data("integer division by zero".to_owned())
            }
            error => Error::Internal(error.to_string()),
        }
    }
}

impl From<Diagnostics> for Error {
    fn from(diagnostics: Diagnostics) -> Self {
        Error::Script(diagnostics)
    }
}

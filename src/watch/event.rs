//! What the watcher reports: [`ConfigEvent`] to the hook, and
//! [`ConfigFileError`] when a watcher cannot start.

use std::fmt;
use std::path::{Path, PathBuf};

/// What happened to a followed configuration file, given to the
/// [`on_config_event`](crate::ConfigWatcherBuilder::on_config_event) hook.
///
/// Its `Display` is one line with control characters escaped, safe for any
/// log: `CORS configuration "/etc/cors/cors.toml" rejected, the last good
/// policy stays in force: allow_origins[1]: …`.
#[cfg_attr(docsrs, doc(cfg(feature = "watch")))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigEvent {
    /// The file gave a policy, which is now in force.
    Loaded {
        /// The path followed, as given.
        path: PathBuf,
    },
    /// The file could not be read, parsed or built; the last good policy
    /// stays in force.
    Rejected {
        /// The path followed, as given.
        path: PathBuf,
        /// Every problem: one for a file that cannot be read or parsed
        /// (the parser's message), one per issue of the
        /// [`PolicyError`](crate::PolicyError) for a policy that does not
        /// build (`allow_origins[1]: … did you mean …?`).
        errors: Vec<String>,
    },
    /// The file does not exist (deleted, or a dangling link); the last good
    /// policy stays in force.
    Missing {
        /// The path followed, as given.
        path: PathBuf,
    },
}

impl ConfigEvent {
    /// The path followed, as given.
    pub fn path(&self) -> &Path {
        match self {
            Self::Loaded { path } | Self::Rejected { path, .. } | Self::Missing { path } => path,
        }
    }

    /// The problems of a [`Rejected`](Self::Rejected) file; empty otherwise.
    pub fn errors(&self) -> &[String] {
        match self {
            Self::Rejected { errors, .. } => errors,
            Self::Loaded { .. } | Self::Missing { .. } => &[],
        }
    }
}

impl fmt::Display for ConfigEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CORS configuration {:?} ", self.path())?;
        match self {
            Self::Loaded { .. } => f.write_str("loaded: its policy is in force"),
            Self::Rejected { errors, .. } => {
                f.write_str("rejected, the last good policy stays in force: ")?;
                write_errors(f, errors)
            }
            Self::Missing { .. } => f.write_str("is missing, the last good policy stays in force"),
        }
    }
}

/// Why [`ConfigWatcherBuilder::start`](crate::ConfigWatcherBuilder::start)
/// failed: the file gave no policy.
#[cfg_attr(docsrs, doc(cfg(feature = "watch")))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFileError {
    pub(super) path: PathBuf,
    pub(super) errors: Vec<String>,
}

impl ConfigFileError {
    pub(super) fn from_event(event: ConfigEvent) -> Self {
        let path = event.path().to_path_buf();
        let errors = match event {
            ConfigEvent::Rejected { errors, .. } => errors,
            _ => vec!["no such file".to_owned()],
        };
        Self { path, errors }
    }

    /// The path followed, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every problem, as in [`ConfigEvent::Rejected`].
    pub fn errors(&self) -> &[String] {
        &self.errors
    }
}

impl fmt::Display for ConfigFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot load the CORS configuration {:?}: ", self.path)?;
        write_errors(f, &self.errors)
    }
}

impl std::error::Error for ConfigFileError {}

/// `errors` on one line, `; `-separated, control characters escaped.
pub(super) fn write_errors(f: &mut fmt::Formatter<'_>, errors: &[String]) -> fmt::Result {
    for (i, error) in errors.iter().enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        for c in error.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
    }
    Ok(())
}

//! The watcher thread's state and its poll: the file's stamp (identity, size,
//! times, through every symbolic link), a bounded read, and the parse and
//! build of a changed content into a policy.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::Hasher;
use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{ConfigEvent, Hook, Parse};
use crate::policy::{PathPolicies, PolicyHandle};

/// What identifies one version of the file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    /// The path with every link resolved: a ConfigMap update changes it.
    resolved: PathBuf,
    len: u64,
    modified: Option<SystemTime>,
    /// Device, inode and status change time (`ctime`, nanoseconds) on Unix.
    #[cfg(unix)]
    id: (u64, u64, i64, i64),
}

impl Stamp {
    /// The stamp of the file `path` leads to now.
    ///
    /// A kubelet update removes the old version's directory right after
    /// swapping `..data`: a look that resolved the old link can find
    /// nothing there. Such a miss is looked at again at once; only a path
    /// that leads nowhere three times in a row is missing.
    fn of(path: &Path) -> io::Result<Self> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match Self::look(path) {
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempts < 3 => continue,
                other => return other,
            }
        }
    }

    fn look(path: &Path) -> io::Result<Self> {
        // One `stat` through every link: the file's own metadata.
        let meta = fs::metadata(path)?;
        let resolved = fs::canonicalize(path)?;
        #[cfg(unix)]
        let id = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec())
        };
        Ok(Self {
            resolved,
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            id,
        })
    }
}

/// What the watcher last reported, so that each state is reported once.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Nothing,
    /// Content with this hash, loaded or rejected.
    Content(u64),
    Missing,
    /// A read that failed with this message.
    Unreadable(String),
}

/// The outcome of one look at the file.
pub(super) enum Check {
    Unchanged,
    Policy(PathPolicies),
    Problem(ConfigEvent),
}

/// The watcher's state, owned by its thread.
pub(super) struct Watch {
    path: PathBuf,
    parse: Parse,
    hook: Option<Hook>,
    max_bytes: u64,
    /// The stamp of the file in force (or last rejected).
    stamp: Option<Stamp>,
    /// A changed stamp, read if it is the same at the next poll.
    pending: Option<Stamp>,
    seen: Seen,
}

impl Watch {
    /// The state of a watcher of `path` that has seen nothing yet.
    pub(super) fn new(path: PathBuf, parse: Parse, hook: Option<Hook>, max_bytes: u64) -> Self {
        Self {
            path,
            parse,
            hook,
            max_bytes,
            stamp: None,
            pending: None,
            seen: Seen::Nothing,
        }
    }

    /// One poll: a new good version replaces the policy behind `handle`.
    pub(super) fn poll(&mut self, handle: &PolicyHandle) {
        match self.check() {
            Check::Unchanged => {}
            Check::Policy(policy) => {
                handle.replace(policy);
                self.emit(&ConfigEvent::Loaded {
                    path: self.path.clone(),
                });
            }
            Check::Problem(event) => self.emit(&event),
        }
    }

    /// Looks at the file: unchanged, a new policy, or a problem not
    /// reported yet.
    ///
    /// A changed file is read once it looks the same at two polls in a row
    /// and during the read: a file being written in place is never read
    /// half-written (where a truncated list of origins could still parse).
    pub(super) fn check(&mut self) -> Check {
        let stamp = match Stamp::of(&self.path) {
            Ok(stamp) => stamp,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return self.missing(),
            Err(e) => {
                self.stamp = None;
                return self.unreadable(e.to_string());
            }
        };
        if self.stamp.as_ref() == Some(&stamp) {
            return Check::Unchanged;
        }
        // The first look (`start`) reads at once; a change waits one poll.
        let first = self.seen == Seen::Nothing;
        if !first && self.pending.as_ref() != Some(&stamp) {
            self.pending = Some(stamp);
            return Check::Unchanged;
        }
        self.pending = None;
        // Read through the path as given: a link swapped after `stamp` was
        // taken gives the newer content, seen as a change after the read.
        let text = match read_bounded(&self.path, self.max_bytes) {
            Ok(text) => text,
            Err(ReadError::Missing) if first => return self.missing(),
            Err(ReadError::Missing) => {
                // Gone since `stamp` (or a link swapped under the open):
                // look again at the next poll.
                self.stamp = None;
                return Check::Unchanged;
            }
            Err(ReadError::Failed(message)) => {
                self.stamp = None;
                return self.unreadable(message);
            }
            Err(ReadError::Refused(message)) => {
                self.stamp = Some(stamp);
                return self.unreadable(message);
            }
        };
        if !first && Stamp::of(&self.path).ok().as_ref() != Some(&stamp) {
            // Changed while read: look again at the next polls.
            self.stamp = None;
            return Check::Unchanged;
        }
        self.stamp = Some(stamp);
        let hash = {
            let mut hasher = DefaultHasher::new();
            hasher.write(text.as_bytes());
            hasher.finish()
        };
        if self.seen == Seen::Content(hash) {
            return Check::Unchanged;
        }
        self.seen = Seen::Content(hash);
        match self.compile(&text) {
            Ok(policy) => Check::Policy(policy),
            Err(errors) => Check::Problem(ConfigEvent::Rejected {
                path: self.path.clone(),
                errors,
            }),
        }
    }

    /// Parses and builds `text`: the policy, or every problem.
    fn compile(&self, text: &str) -> Result<PathPolicies, Vec<String>> {
        let parsed = catch_unwind(AssertUnwindSafe(|| (self.parse)(text)))
            .map_err(|_| vec!["the parse function panicked".to_owned()])?;
        let config = parsed.map_err(|e| vec![format!("cannot parse: {e}")])?;
        config
            .build_paths()
            .map_err(|e| e.issues().iter().map(ToString::to_string).collect())
    }

    fn missing(&mut self) -> Check {
        self.stamp = None;
        self.pending = None;
        if self.seen == Seen::Missing {
            return Check::Unchanged;
        }
        self.seen = Seen::Missing;
        Check::Problem(ConfigEvent::Missing {
            path: self.path.clone(),
        })
    }

    fn unreadable(&mut self, message: String) -> Check {
        let message = format!("cannot read: {message}");
        if self.seen == Seen::Unreadable(message.clone()) {
            return Check::Unchanged;
        }
        self.seen = Seen::Unreadable(message.clone());
        Check::Problem(ConfigEvent::Rejected {
            path: self.path.clone(),
            errors: vec![message],
        })
    }

    /// Reports `event` to the hook and, with feature `tracing`, as an event.
    pub(super) fn emit(&self, event: &ConfigEvent) {
        #[cfg(feature = "tracing")]
        trace(event);
        if let Some(hook) = &self.hook {
            // A panicking hook must not stop the watcher.
            let _ = catch_unwind(AssertUnwindSafe(|| hook(event)));
        }
    }
}

/// A `tracing` event for `event`: `info` when loaded, `warn` otherwise.
#[cfg(feature = "tracing")]
fn trace(event: &ConfigEvent) {
    use super::event::write_errors;
    use std::fmt;

    struct Errors<'a>(&'a [String]);
    impl fmt::Display for Errors<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_errors(f, self.0)
        }
    }
    let path = event.path().display();
    match event {
        ConfigEvent::Loaded { .. } => tracing::info!(
            target: "tower_cors",
            path = %path,
            "CORS configuration loaded",
        ),
        ConfigEvent::Rejected { errors, .. } => tracing::warn!(
            target: "tower_cors",
            path = %path,
            errors = %Errors(errors),
            "CORS configuration rejected; the last good policy stays in force",
        ),
        ConfigEvent::Missing { .. } => tracing::warn!(
            target: "tower_cors",
            path = %path,
            "CORS configuration missing; the last good policy stays in force",
        ),
    }
}

/// Why a file was not read.
enum ReadError {
    /// It does not exist (any more).
    Missing,
    /// An I/O error: tried again at the next poll.
    Failed(String),
    /// Too large or not UTF-8: tried again when the file changes.
    Refused(String),
}

/// The file's text, if it has at most `max_bytes` bytes of UTF-8.
fn read_bounded(path: &Path, max_bytes: u64) -> Result<String, ReadError> {
    let failed = |e: io::Error| match e.kind() {
        io::ErrorKind::NotFound => ReadError::Missing,
        _ => ReadError::Failed(e.to_string()),
    };
    let file = fs::File::open(path).map_err(failed)?;
    let len = file.metadata().map_err(failed)?.len();
    let too_large = |len: u64| {
        ReadError::Refused(format!(
            "the file has {len} bytes, more than the limit of {max_bytes} (ConfigWatcherBuilder::max_bytes)"
        ))
    };
    if len > max_bytes {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // One byte more than the limit tells a file that grew since.
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        ReadError::Refused(format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

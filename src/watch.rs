//! [`ConfigWatcher`]: a policy that follows a configuration file, on a std
//! thread that polls it, so that no async runtime is needed.
//!
//! Each poll resolves the path (through every symbolic link, as the
//! Kubernetes `..data` swap needs) and compares the resolved file's
//! identity, size and times with the last poll's; only a change reads the
//! file, and only a change of content parses and builds it.

use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::fs;
use std::hash::Hasher;
use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime};

use crate::layer::CorsLayer;
use crate::policy::CorsConfig;
use crate::policy::{PathPolicies, PolicyHandle};

/// The caller's parser, its error already rendered.
type Parse = Box<dyn Fn(&str) -> Result<CorsConfig, String> + Send + 'static>;
/// The caller's event hook.
type Hook = Box<dyn Fn(&ConfigEvent) + Send + 'static>;

/// The default time between two polls.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);
/// The shortest time between two polls.
const MIN_INTERVAL: Duration = Duration::from_millis(1);
/// The default size limit of the file: 64 MiB, about a million origins.
const DEFAULT_MAX_BYTES: u64 = 64 << 20;

/// A CORS policy that follows a configuration file: the file's
/// [`CorsConfig`] is in force through a reloadable [`CorsLayer`], and every
/// good new version of the file replaces it while the layer serves.
///
/// - **Any format**: the caller gives the parse function
///   (`toml::from_str`, `serde_json::from_str`, a YAML reader, …), so this
///   crate depends on none of them.
/// - **Kubernetes ConfigMap volumes**: the path is resolved through its
///   symbolic links at every poll, so the atomic swap of the `..data` link
///   that the kubelet makes for an update is seen like an edit.
/// - **The last good policy stays**: a file that cannot be read, parsed or
///   built, or that is deleted, changes nothing in force; it is reported
///   (every problem, each once) to the
///   [`on_config_event`](ConfigWatcherBuilder::on_config_event) hook and,
///   with feature `tracing`, as a `warn` event of target `tower_cors`.
///   A good file again is loaded again.
/// - **A broken start is an error**: [`start`](ConfigWatcherBuilder::start)
///   fails, with every problem, when the file does not give a policy; no
///   layer ever starts empty or open.
/// - **No runtime, no leak**: one std thread polls the file every
///   [`interval`](ConfigWatcherBuilder::interval) (default 1 s): resolve the
///   path and read its metadata; the file is read only when those changed
///   and then stayed the same for one interval and during the read (so a
///   file written in place is not read in the middle of a write), and
///   parsed and built only when its content changed. Dropping the
///   `ConfigWatcher` stops and joins the thread (after the poll in
///   progress, if any); the layer keeps serving the policy in force then.
///
/// Requests never wait for the watcher: it swaps whole compiled policies in
/// through a [`PolicyHandle`], read without a lock.
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use tower_cors::{ConfigEvent, ConfigWatcher, CorsConfig};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("cors.toml");
/// // Written whole, as deployment tools do: a new file renamed over the old.
/// let write = |text: &str| -> std::io::Result<()> {
///     std::fs::write(dir.path().join("cors.toml.new"), text)?;
///     std::fs::rename(dir.path().join("cors.toml.new"), &path)
/// };
/// write(r#"allow_origins = ["https://app.example.com"]"#)?;
///
/// let (events, received) = mpsc::channel();
/// let watcher = ConfigWatcher::builder(&path, |text: &str| toml::from_str::<CorsConfig>(text))
///     .interval(Duration::from_millis(10))
///     .on_config_event(move |event: &ConfigEvent| {
///         eprintln!("{event}"); // one line, escaped
///         let _ = events.send(event.clone());
///     })
///     .start()?;
/// let layer = watcher.layer(); // around the app; keep `watcher` alive as long
/// assert!(matches!(received.recv()?, ConfigEvent::Loaded { .. }));
///
/// let allowed = |origin: &str| {
///     let req = http::Request::get("/").header("origin", origin).body(()).unwrap();
///     watcher.handle().current().evaluate_request(&req).is_allowed()
/// };
/// assert!(allowed("https://app.example.com"));
///
/// // A mistake: reported, and the last good policy stays in force.
/// write(r#"allow_origins = ["https://new.example.com/"]"#)?;
/// let event = received.recv_timeout(Duration::from_secs(10))?;
/// assert!(matches!(event, ConfigEvent::Rejected { .. }));
/// assert!(event.errors()[0].contains(r#"did you mean "https://new.example.com"?"#));
/// assert!(allowed("https://app.example.com"));
///
/// // Fixed: in force.
/// write(r#"allow_origins = ["https://new.example.com"]"#)?;
/// assert!(matches!(received.recv_timeout(Duration::from_secs(10))?, ConfigEvent::Loaded { .. }));
/// assert!(allowed("https://new.example.com"));
/// assert!(!allowed("https://app.example.com"));
/// # drop(layer);
/// # Ok(())
/// # }
/// ```
///
/// See the [fleet guide](crate::docs::fleet) for rolling a configuration
/// out to many replicas, report-only first.
#[cfg_attr(docsrs, doc(cfg(feature = "watch")))]
#[must_use = "dropping the watcher stops following the file"]
pub struct ConfigWatcher {
    path: PathBuf,
    layer: CorsLayer,
    handle: PolicyHandle,
    /// Dropped to stop the thread.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ConfigWatcher {
    /// A watcher of the file at `path`, whose text `parse` turns into a
    /// [`CorsConfig`]; [`start`](ConfigWatcherBuilder::start) it.
    ///
    /// `parse` runs on the watcher's thread (and once on the caller's, in
    /// `start`); its error is reported with its `Display`.
    pub fn builder<F, E>(path: impl Into<PathBuf>, parse: F) -> ConfigWatcherBuilder
    where
        F: Fn(&str) -> Result<CorsConfig, E> + Send + 'static,
        E: fmt::Display,
    {
        ConfigWatcherBuilder {
            path: path.into(),
            parse: Box::new(move |text| parse(text).map_err(|e| e.to_string())),
            interval: DEFAULT_INTERVAL,
            max_bytes: DEFAULT_MAX_BYTES,
            hook: None,
        }
    }

    /// The layer applying the file's policy; every clone (and every service
    /// it makes) follows the file while the watcher lives.
    pub fn layer(&self) -> CorsLayer {
        self.layer.clone()
    }

    /// The handle of the layer's policy: [`current`](PolicyHandle::current)
    /// is the last good version of the file.
    pub fn handle(&self) -> &PolicyHandle {
        &self.handle
    }

    /// The path followed, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ConfigWatcher {
    fn drop(&mut self) {
        // The thread sees the channel closed at its next wait, at once.
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // A hook that drops the watcher runs on the thread itself: it
            // ends on its own after the hook returns.
            if thread.thread().id() != thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl fmt::Debug for ConfigWatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigWatcher")
            .field("path", &self.path)
            .field("policy", &self.handle)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`ConfigWatcher`], from [`ConfigWatcher::builder`].
#[cfg_attr(docsrs, doc(cfg(feature = "watch")))]
#[must_use = "a builder does nothing until `start`"]
pub struct ConfigWatcherBuilder {
    path: PathBuf,
    parse: Parse,
    interval: Duration,
    max_bytes: u64,
    hook: Option<Hook>,
}

impl ConfigWatcherBuilder {
    /// The time between two polls of the file (default 1 s, at least 1 ms).
    ///
    /// A poll of an unchanged file resolves its path and reads its
    /// metadata, nothing more. A ConfigMap update reaches a pod's volume
    /// only after the kubelet's sync period (a minute by default), so a few
    /// seconds here add little to it.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(MIN_INTERVAL);
        self
    }

    /// The largest file read, in bytes (default 64 MiB, about a million
    /// origins); a larger file is rejected without being read.
    pub fn max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Calls `f` with every [`ConfigEvent`]: the first load (in
    /// [`start`](Self::start)), then each new version loaded or rejected,
    /// and the file going missing. Each state is reported once, not at
    /// every poll. A second call replaces the first hook.
    ///
    /// `f` runs on the watcher's thread, never on a request's: keep it
    /// short (dropping the watcher waits for it). A panic in it is caught
    /// and the watcher goes on.
    pub fn on_config_event<F>(mut self, f: F) -> Self
    where
        F: Fn(&ConfigEvent) + Send + 'static,
    {
        self.hook = Some(Box::new(f));
        self
    }

    /// Loads the file and starts following it.
    ///
    /// # Errors
    ///
    /// A [`ConfigFileError`] with every problem when the file cannot be
    /// read, parsed or built into a policy (the [`ConfigEvent::Rejected`]
    /// or [`ConfigEvent::Missing`] is also given to the hook), or when the
    /// thread cannot be started.
    ///
    /// # Panics
    ///
    /// Never (a panic of the parse function is caught and is an error).
    pub fn start(self) -> Result<ConfigWatcher, ConfigFileError> {
        let Self {
            path,
            parse,
            interval,
            max_bytes,
            hook,
        } = self;
        let mut watch = Watch {
            path: path.clone(),
            parse,
            hook,
            max_bytes,
            stamp: None,
            pending: None,
            seen: Seen::Nothing,
        };
        let policy = match watch.check() {
            Check::Policy(policy) => policy,
            // Never on a first look (nothing seen before); total anyway.
            Check::Unchanged => {
                return Err(ConfigFileError {
                    path,
                    errors: vec!["no policy was loaded".to_owned()],
                })
            }
            Check::Problem(event) => {
                watch.emit(&event);
                return Err(ConfigFileError::from_event(event));
            }
        };
        let (layer, handle) = CorsLayer::reloadable(policy);
        watch.emit(&ConfigEvent::Loaded { path: path.clone() });

        let (stop, stopped) = mpsc::channel::<()>();
        let polled = handle.clone();
        let thread = thread::Builder::new()
            .name("tower-cors-watch".into())
            .spawn(move || {
                // Nothing is ever sent: the channel closes when the watcher
                // is dropped, and the wait ends at once.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    watch.poll(&polled);
                }
            })
            .map_err(|e| ConfigFileError {
                path: path.clone(),
                errors: vec![format!("cannot start the watcher thread: {e}")],
            })?;
        Ok(ConfigWatcher {
            path,
            layer,
            handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl fmt::Debug for ConfigWatcherBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigWatcherBuilder")
            .field("path", &self.path)
            .field("interval", &self.interval)
            .field("max_bytes", &self.max_bytes)
            .field("hook", &self.hook.is_some())
            .finish_non_exhaustive()
    }
}

/// What happened to a followed configuration file, given to the
/// [`on_config_event`](ConfigWatcherBuilder::on_config_event) hook.
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

/// Why [`ConfigWatcherBuilder::start`] failed: the file gave no policy.
#[cfg_attr(docsrs, doc(cfg(feature = "watch")))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFileError {
    path: PathBuf,
    errors: Vec<String>,
}

impl ConfigFileError {
    fn from_event(event: ConfigEvent) -> Self {
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
fn write_errors(f: &mut fmt::Formatter<'_>, errors: &[String]) -> fmt::Result {
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
enum Check {
    Unchanged,
    Policy(PathPolicies),
    Problem(ConfigEvent),
}

/// The watcher's state, owned by its thread.
struct Watch {
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
    /// One poll: a new good version replaces the policy behind `handle`.
    fn poll(&mut self, handle: &PolicyHandle) {
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
    fn check(&mut self) -> Check {
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

    /// Parses and builds `text`: the policy or per-path table, or every
    /// problem.
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
    fn emit(&self, event: &ConfigEvent) {
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

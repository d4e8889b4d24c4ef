//! [`ConfigWatcher`]: a policy that follows a configuration file, on a std
//! thread that polls it, so that no async runtime is needed.
//!
//! Each poll resolves the path (through every symbolic link, as the
//! Kubernetes `..data` swap needs) and compares the resolved file's
//! identity, size and times with the last poll's; only a change reads the
//! file, and only a change of content parses and builds it.

mod event;
mod poll;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

pub use event::{ConfigEvent, ConfigFileError};
use poll::{Check, Watch};

use crate::layer::CorsLayer;
use crate::policy::CorsConfig;
use crate::policy::PolicyHandle;

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
///     watcher.handle().current().evaluate(&req.into_parts().0).is_allowed()
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
        let mut watch = Watch::new(path.clone(), parse, hook, max_bytes);
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

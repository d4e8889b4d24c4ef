//! Feature `watch`: a policy that follows a configuration file through
//! edits, a kubelet-style `..data` symlink swap, broken and deleted files,
//! with the last good policy in force, checked through the tower service.
//! Polls every 2 ms; every wait is on the watcher's own event, with a long
//! timeout, so nothing depends on the machine's speed.
#![cfg(all(feature = "watch", unix))]

use std::convert::Infallible;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use tower::{service_fn, Layer, ServiceExt};
use tower_cors::{ConfigEvent, ConfigWatcher, CorsConfig, CorsLayer, ReportOnly};

const APP: &str = "https://app.example.com";
const NEW: &str = "https://new.example.com";
const POLL: Duration = Duration::from_millis(2);
/// Long enough for a loaded CI machine; a passing run waits a few polls.
const WAIT: Duration = Duration::from_secs(20);

fn toml_origins(origins: &[&str]) -> String {
    let list: Vec<String> = origins.iter().map(|o| format!("{o:?}")).collect();
    format!(
        "allow_origins = [{}]\nallow_methods = [\"PUT\"]\nallow_credentials = true\n",
        list.join(", ")
    )
}

fn parse(text: &str) -> Result<CorsConfig, toml::de::Error> {
    toml::from_str(text)
}

/// A watcher of `path` polling every 2 ms, and its events.
fn watch(path: &Path) -> (ConfigWatcher, Receiver<ConfigEvent>) {
    let (tx, rx) = mpsc::channel();
    let watcher = ConfigWatcher::builder(path, parse)
        .interval(POLL)
        .on_config_event(move |event: &ConfigEvent| {
            let _ = tx.send(event.clone());
        })
        .start()
        .expect("the first file is good");
    assert_eq!(next(&rx), ConfigEvent::Loaded { path: path.into() });
    (watcher, rx)
}

fn next(events: &Receiver<ConfigEvent>) -> ConfigEvent {
    events
        .recv_timeout(WAIT)
        .expect("the watcher reports the change")
}

/// What the layer answers, through the tower service, to a preflight and to
/// an actual request from `origin`: `(preflight status, ACAO of the actual
/// response)`.
async fn answer(layer: &CorsLayer, origin: &str) -> (StatusCode, Option<String>) {
    let svc = layer.layer(service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(String::from("inner")))
    }));
    let preflight = Request::options("/api")
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .body(())
        .expect("request");
    let status = svc
        .clone()
        .oneshot(preflight)
        .await
        .expect("infallible")
        .status();
    let actual = Request::get("/api")
        .header("origin", origin)
        .body(())
        .expect("request");
    let res = svc.oneshot(actual).await.expect("infallible");
    let acao = res
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().expect("ascii").to_owned());
    (status, acao)
}

async fn assert_allowed(layer: &CorsLayer, origin: &str, desc: &str) {
    assert_eq!(
        answer(layer, origin).await,
        (StatusCode::NO_CONTENT, Some(origin.to_owned())),
        "{desc}: {origin} should be allowed"
    );
}

async fn assert_refused(layer: &CorsLayer, origin: &str, desc: &str) {
    assert_eq!(
        answer(layer, origin).await,
        (StatusCode::FORBIDDEN, None),
        "{desc}: {origin} should be refused"
    );
}

/// Writes `path` whole, as deployment tools do: a new file renamed over
/// the old one, so that no poll ever sees it half-written.
fn replace_file(path: &Path, contents: impl AsRef<[u8]>) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp-new");
    fs::write(&tmp, contents)?;
    fs::rename(&tmp, path)
}

#[tokio::test]
async fn an_edit_is_followed() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("cors.toml");
    replace_file(&path, toml_origins(&[APP])).expect("write");
    let (watcher, events) = watch(&path);
    let layer = watcher.layer();
    assert_allowed(&layer, APP, "first file").await;
    assert_refused(&layer, NEW, "first file").await;

    // In place, same length, one write: only the content and times change.
    {
        use std::io::Write;
        let mut file = fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        file.write_all(toml_origins(&[NEW]).as_bytes())
            .expect("write");
    }
    assert_eq!(next(&events), ConfigEvent::Loaded { path: path.clone() });
    assert_allowed(&layer, NEW, "after the edit").await;
    assert_refused(&layer, APP, "after the edit").await;

    // Replaced by rename, as editors and deployment tools do.
    replace_file(&path, toml_origins(&[APP, NEW])).expect("write");
    assert_eq!(next(&events), ConfigEvent::Loaded { path: path.clone() });
    assert_allowed(&layer, APP, "after the rename").await;
    assert_allowed(&layer, NEW, "after the rename").await;
}

/// A ConfigMap volume as the kubelet writes it: `cors.toml` →
/// `..data/cors.toml`, `..data` → a timestamped directory; an update writes
/// a new directory, points a new link at it, renames that link over
/// `..data` (atomic) and removes the old directory.
struct ConfigMapVolume {
    root: PathBuf,
    version: u32,
}

impl ConfigMapVolume {
    fn new(root: &Path, text: &str) -> Self {
        let mut volume = Self {
            root: root.to_owned(),
            version: 0,
        };
        let first = volume.write_version(text);
        std::os::unix::fs::symlink(&first, root.join("..data")).expect("..data");
        std::os::unix::fs::symlink("..data/cors.toml", root.join("cors.toml")).expect("link");
        volume
    }

    fn path(&self) -> PathBuf {
        self.root.join("cors.toml")
    }

    fn write_version(&mut self, text: &str) -> String {
        self.version += 1;
        let name = format!("..2026_12_07_19_00_00.{}", 1000 + self.version);
        fs::create_dir(self.root.join(&name)).expect("version directory");
        fs::write(self.root.join(&name).join("cors.toml"), text).expect("write");
        name
    }

    fn update(&mut self, text: &str) {
        let old = fs::read_link(self.root.join("..data")).expect("..data");
        let new = self.write_version(text);
        let tmp = self.root.join("..data_tmp");
        std::os::unix::fs::symlink(&new, &tmp).expect("..data_tmp");
        fs::rename(&tmp, self.root.join("..data")).expect("swap ..data");
        fs::remove_dir_all(self.root.join(old)).expect("remove the old version");
    }
}

#[tokio::test]
async fn a_kubelet_symlink_swap_is_followed() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut volume = ConfigMapVolume::new(dir.path(), &toml_origins(&[APP]));
    let path = volume.path();
    let (watcher, events) = watch(&path);
    let layer = watcher.layer();
    assert_allowed(&layer, APP, "first version").await;

    volume.update(&toml_origins(&[NEW]));
    assert_eq!(next(&events), ConfigEvent::Loaded { path: path.clone() });
    assert_allowed(&layer, NEW, "second version").await;
    assert_refused(&layer, APP, "second version").await;

    // The same content in a new directory: nothing to load, nothing
    // reported. The next event is the broken version's, not a `Loaded`.
    volume.update(&toml_origins(&[NEW]));
    volume.update("allow_origins = [\"https://new.example.com/\"]\n");
    let event = next(&events);
    assert!(
        matches!(event, ConfigEvent::Rejected { .. }),
        "same content reloaded or broken version not reported: {event:?}"
    );
    assert_allowed(&layer, NEW, "broken third version").await;

    volume.update(&toml_origins(&[APP]));
    assert_eq!(next(&events), ConfigEvent::Loaded { path: path.clone() });
    assert_allowed(&layer, APP, "fixed version").await;
    assert_refused(&layer, NEW, "fixed version").await;
}

#[tokio::test]
async fn a_broken_file_keeps_the_last_good_policy_and_reports_every_problem() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("cors.toml");
    replace_file(&path, toml_origins(&[APP])).expect("write");
    let (watcher, events) = watch(&path);
    let layer = watcher.layer();

    // Not TOML: the parser's message.
    replace_file(&path, "allow_origins = [\"https://new.example.com\"\n").expect("write");
    let event = next(&events);
    let ConfigEvent::Rejected { errors, .. } = &event else {
        panic!("expected a rejection: {event:?}");
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("cannot parse: "), "{errors:?}");
    let line = event.to_string();
    assert!(!line.contains('\n'), "one log line: {line:?}");
    assert!(
        line.contains("rejected, the last good policy stays in force"),
        "{line}"
    );
    assert_allowed(&layer, APP, "unparsable file").await;
    assert_refused(&layer, NEW, "unparsable file").await;

    // TOML, but two problems in the policy: both, with field and fix.
    replace_file(
        &path,
        "allow_origins = [\"https://new.example.com/\", \"https://*.com\"]\nallow_credentials = true\n",
    )
    .expect("write");
    let event = next(&events);
    let errors = event.errors();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("allow_origins[0]: ")
            && errors[0].contains("did you mean \"https://new.example.com\"?"),
        "{errors:?}"
    );
    assert!(errors[1].starts_with("allow_origins[1]: "), "{errors:?}");
    assert_allowed(&layer, APP, "policy that does not build").await;

    // An unknown field (a misspelt key) is refused, not ignored.
    replace_file(&path, "allow_origin = [\"https://new.example.com\"]\n").expect("write");
    let errors = next(&events).errors().to_vec();
    assert!(errors[0].contains("unknown field"), "{errors:?}");
    assert_allowed(&layer, APP, "misspelt key").await;

    // Not UTF-8.
    replace_file(&path, b"allow_origins = [\"\xff\"]\n").expect("write");
    let errors = next(&events).errors().to_vec();
    assert!(errors[0].contains("not UTF-8"), "{errors:?}");
    assert_allowed(&layer, APP, "not UTF-8").await;

    // Fixed again: the new policy.
    replace_file(&path, toml_origins(&[NEW])).expect("write");
    assert_eq!(next(&events), ConfigEvent::Loaded { path: path.clone() });
    assert_allowed(&layer, NEW, "fixed file").await;
    assert_refused(&layer, APP, "fixed file").await;
}

#[tokio::test]
async fn a_deleted_file_keeps_the_last_good_policy() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("cors.toml");
    replace_file(&path, toml_origins(&[APP])).expect("write");
    let (watcher, events) = watch(&path);
    let layer = watcher.layer();

    fs::remove_file(&path).expect("delete");
    assert_eq!(next(&events), ConfigEvent::Missing { path: path.clone() });
    assert_allowed(&layer, APP, "deleted file").await;
    assert_refused(&layer, NEW, "deleted file").await;

    // Back with the same content: loaded again, and said so.
    replace_file(&path, toml_origins(&[APP])).expect("write");
    assert_eq!(next(&events), ConfigEvent::Loaded { path: path.clone() });
    assert_allowed(&layer, APP, "restored file").await;

    // Deleted, then back with another policy.
    fs::remove_file(&path).expect("delete");
    assert_eq!(next(&events), ConfigEvent::Missing { path: path.clone() });
    replace_file(&path, toml_origins(&[NEW])).expect("write");
    assert_eq!(next(&events), ConfigEvent::Loaded { path: path.clone() });
    assert_allowed(&layer, NEW, "new file").await;
    assert_refused(&layer, APP, "new file").await;
}

#[tokio::test]
async fn a_dangling_configmap_link_keeps_the_last_good_policy() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let volume = ConfigMapVolume::new(dir.path(), &toml_origins(&[APP]));
    let path = volume.path();
    let (watcher, events) = watch(&path);
    let layer = watcher.layer();

    // The ConfigMap's key removed: `cors.toml` points at nothing.
    let target = fs::canonicalize(&path).expect("resolve");
    fs::remove_file(target).expect("delete");
    assert_eq!(next(&events), ConfigEvent::Missing { path: path.clone() });
    assert_allowed(&layer, APP, "dangling link").await;
}

#[test]
fn a_start_with_a_broken_or_missing_file_is_an_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("cors.toml");

    let err = ConfigWatcher::builder(&path, parse)
        .start()
        .expect_err("no file");
    assert_eq!(err.path(), path);
    assert_eq!(err.errors(), ["no such file"]);

    replace_file(
        &path,
        "allow_origins = [\"*\"]\nallow_methods = [\"bad method\"]\n",
    )
    .expect("write");
    let (tx, rx) = mpsc::channel();
    let err = ConfigWatcher::builder(&path, parse)
        .on_config_event(move |event: &ConfigEvent| {
            let _ = tx.send(event.clone());
        })
        .start()
        .expect_err("a policy that does not build");
    assert_eq!(err.errors().len(), 2, "{err}");
    assert!(err.errors()[0].starts_with("allow_origins[0]: "), "{err}");
    assert!(err.errors()[1].starts_with("allow_methods[0]: "), "{err}");
    assert!(
        err.to_string()
            .starts_with("cannot load the CORS configuration"),
        "{err}"
    );
    // The hook heard it too, and nothing else: no thread was left behind
    // holding it.
    let event = rx.recv().expect("reported");
    assert_eq!(event.errors(), err.errors());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));

    replace_file(&path, "{}").expect("write");
    let err = ConfigWatcher::builder(&path, |text: &str| serde_json::from_str::<CorsConfig>(text))
        .start()
        .expect_err("an empty policy");
    assert!(err.errors()[0].contains("no origin is allowed"), "{err}");
}

#[tokio::test]
async fn dropping_the_watcher_stops_its_thread_and_the_layer_keeps_serving() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("cors.json");
    replace_file(
        &path,
        r#"{"allow_origins": ["https://app.example.com"], "allow_methods": ["PUT"]}"#,
    )
    .expect("write");
    let (tx, events) = mpsc::channel();
    let watcher =
        ConfigWatcher::builder(&path, |text: &str| serde_json::from_str::<CorsConfig>(text))
            .interval(POLL)
            .on_config_event(move |event: &ConfigEvent| {
                let _ = tx.send(event.clone());
            })
            .start()
            .expect("good file");
    let layer = watcher.layer();
    assert!(matches!(next(&events), ConfigEvent::Loaded { .. }));

    drop(watcher);
    // `drop` joined the thread, which owned the hook and its sender.
    assert_eq!(events.try_recv(), Err(TryRecvError::Disconnected));
    replace_file(
        &path,
        r#"{"allow_origins": ["https://new.example.com"], "allow_methods": ["PUT"]}"#,
    )
    .expect("write");
    assert_allowed(&layer, APP, "after the watcher is dropped").await;
    assert_refused(&layer, NEW, "after the watcher is dropped").await;
}

#[tokio::test]
async fn a_panicking_hook_or_parser_does_not_stop_the_watcher() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("cors.toml");
    replace_file(&path, toml_origins(&[APP])).expect("write");
    let (tx, events) = mpsc::channel();
    let watcher = ConfigWatcher::builder(&path, |text: &str| {
        assert!(!text.contains("panic"), "parser bug");
        toml::from_str::<CorsConfig>(text)
    })
    .interval(POLL)
    .on_config_event(move |event: &ConfigEvent| {
        let _ = tx.send(event.clone());
        assert!(event.errors().is_empty(), "hook bug");
    })
    .start()
    .expect("good file");
    let layer = watcher.layer();
    assert!(matches!(next(&events), ConfigEvent::Loaded { .. }));

    replace_file(&path, "# panic\nallow_origins = []\n").expect("write");
    assert_eq!(next(&events).errors(), ["the parse function panicked"]);
    replace_file(&path, toml_origins(&[NEW])).expect("write");
    assert!(matches!(next(&events), ConfigEvent::Loaded { .. }));
    assert_allowed(&layer, NEW, "after both panics").await;
}

#[test]
fn a_file_over_the_size_limit_is_not_read() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("cors.toml");
    replace_file(&path, toml_origins(&[APP])).expect("write");
    let err = ConfigWatcher::builder(&path, parse)
        .max_bytes(16)
        .start()
        .expect_err("too large");
    assert!(
        err.errors()[0].contains("more than the limit of 16"),
        "{err}"
    );
}

/// The rollout of the fleet guide: the new configuration runs report-only
/// beside the file's policy, then is written to the file and enforced.
#[tokio::test]
async fn report_only_first_then_the_file() {
    use std::sync::{Arc, Mutex};

    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("cors.toml");
    replace_file(&path, toml_origins(&[APP, NEW])).expect("write");
    let (watcher, events) = watch(&path);

    let next_text = toml_origins(&[NEW]);
    let candidate = parse(&next_text).expect("toml").build().expect("policy");
    let reports = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&reports);
    let layer = watcher
        .layer()
        .report_only(candidate)
        .on_refusal(move |report| {
            let origin = report.origin().and_then(|o| o.to_str().ok()).unwrap_or("-");
            seen.lock()
                .expect("lock")
                .push((origin.to_owned(), report.report_only()));
        });

    // Still allowed, and reported: the candidate would refuse APP.
    assert_allowed(&layer, APP, "report-only").await;
    assert_eq!(
        reports.lock().expect("lock").as_slice(),
        [
            (APP.to_owned(), Some(ReportOnly::CandidateRefusal)),
            (APP.to_owned(), Some(ReportOnly::CandidateRefusal)),
        ]
    );
    assert_allowed(&layer, NEW, "report-only").await;
    assert_eq!(
        reports.lock().expect("lock").len(),
        2,
        "NEW is allowed by both"
    );

    // Promoted through the file: enforced, no report-only report any more.
    replace_file(&path, &next_text).expect("write");
    assert_eq!(next(&events), ConfigEvent::Loaded { path: path.clone() });
    reports.lock().expect("lock").clear();
    assert_refused(&layer, APP, "after promotion").await;
    assert_allowed(&layer, NEW, "after promotion").await;
    let after = reports.lock().expect("lock").clone();
    assert!(!after.is_empty(), "the refusal is reported");
    assert!(
        after
            .iter()
            .all(|(origin, mode)| origin == APP && mode.is_none()),
        "enforced refusals only: {after:?}"
    );
}

#[cfg(feature = "tracing")]
mod tracing_events {
    use std::fmt;
    use std::sync::{Arc, Mutex, OnceLock};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    use super::*;

    /// Every configuration event of the process (the watcher logs on its own
    /// thread, so the subscriber is global): `level target name=value…`. The
    /// other tests of the binary log through it too; their events are dropped.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<String>>>);

    struct Fields(String);

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            self.0 += &format!(" {}={value:?}", field.name());
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0 += &format!(" {}={value}", field.name());
        }
    }

    impl Subscriber for Recorder {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let meta = event.metadata();
            let mut fields = Fields(format!("{} {}", meta.level(), meta.target()));
            event.record(&mut fields);
            if fields.0.contains(" message=CORS configuration ") {
                self.0.lock().expect("lock").push(fields.0);
            }
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    fn recorder() -> &'static Recorder {
        static RECORDER: OnceLock<Recorder> = OnceLock::new();
        RECORDER.get_or_init(|| {
            let recorder = Recorder::default();
            tracing::subscriber::set_global_default(recorder.clone()).expect("one subscriber");
            recorder
        })
    }

    #[test]
    fn every_event_is_traced() {
        let recorder = recorder();
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("traced.toml");
        replace_file(&path, toml_origins(&[APP])).expect("write");
        let (_watcher, events) = watch(&path);
        replace_file(&path, "allow_origins = [\"https://a.example.com/\"]\n").expect("write");
        assert!(matches!(next(&events), ConfigEvent::Rejected { .. }));
        fs::remove_file(&path).expect("delete");
        assert!(matches!(next(&events), ConfigEvent::Missing { .. }));

        let name = format!("path={}", path.display());
        let lines: Vec<String> = recorder
            .0
            .lock()
            .expect("lock")
            .iter()
            .filter(|line| line.contains(&name))
            .cloned()
            .collect();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(
            lines[0].starts_with("INFO tower_cors message=CORS configuration loaded"),
            "{lines:#?}"
        );
        assert!(
            lines[1].starts_with("WARN tower_cors message=CORS configuration rejected")
                && lines[1].contains("errors=allow_origins[0]: ")
                && lines[1].contains("did you mean"),
            "{lines:#?}"
        );
        assert!(
            lines[2].starts_with("WARN tower_cors message=CORS configuration missing"),
            "{lines:#?}"
        );
    }
}

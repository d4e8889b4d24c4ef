//! Cross-check of `cors-probe` against Chromium: every scenario of the suite that is one
//! request from a fresh browser (no repeat, no redirect, no cache priming, no sandboxed
//! iframe) runs in Chromium and through the probe, against both backends; the probe's verdict
//! (readable or blocked) and, when blocked, its `corsError` must be Chromium's.

use std::fmt::Write as _;

use cors_probe::{Probe, Verdict};

use crate::backends::Backend;
use crate::harness::{Browser, Engine};
use crate::scenarios::{self, Credentials, Scenario};
use crate::{collect_logs, run_backend, serve_table, target_dir, token, url_for, Attempt};

/// Whether the scenario is one request the probe can express.
fn expressible(scenario: &Scenario) -> bool {
    let r = &scenario.request;
    r.repeat == 1 && r.redirect.is_none() && !r.prime_without_origin && !r.sandboxed
}

/// `url` with a `.test` host replaced by 127.0.0.1: the probe resolves names
/// with the system's resolver, which has no `.test` names (only the browsers
/// map them). The API server answers on 127.0.0.1 whatever the name, and the
/// CORS answer depends on `Origin`, not on the API's host name.
fn loopback(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    if parsed.host_str().is_some_and(|h| h.ends_with(".test")) {
        let _ = parsed.set_host(Some("127.0.0.1"));
    }
    parsed.into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium and ChromeDriver (run with --include-ignored)"]
async fn cors_probe_verdicts_equal_chromium() {
    let table: Vec<Scenario> = scenarios::table().into_iter().filter(expressible).collect();
    assert!(
        table.len() >= 30,
        "only {} scenarios are expressible",
        table.len()
    );

    let (_journal, ports) = serve_table(&table).await;

    let browser = Browser::launch(Engine::Chromium, &target_dir().join("tmp")).await;
    browser
        .open(&format!("http://127.0.0.1:{}/__cookie", ports.api))
        .await;
    let mut chromium = Vec::new();
    for backend in Backend::ALL {
        for (index, attempts) in run_backend(&browser, backend, &table, ports)
            .await
            .into_iter()
            .enumerate()
        {
            chromium.push((backend, index, attempts));
        }
    }
    let needles: Vec<String> = chromium
        .iter()
        .map(|(backend, index, _)| format!("t={}", token(Engine::Chromium, *backend, *index)))
        .collect();
    let logs = collect_logs(&browser, &needles).await;
    browser.close().await;

    let mut report = String::new();
    let mut disagreements = Vec::new();
    for (backend, index, attempts) in &chromium {
        let scenario = &table[*index];
        let request = &scenario.request;
        let url = url_for(Engine::Chromium, *backend, *index, request, ports);
        let mut probe = Probe::new(&loopback(&url), &ports.fill(request.page));
        probe.method = request.method.to_owned();
        probe.headers = request
            .headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        probe.credentials = request.credentials == Credentials::Include;
        let verdict = cors_probe::run(&probe).await;

        let chrome_readable = matches!(attempts.first(), Some(Attempt::Readable { .. }));
        let chrome_error = if chrome_readable {
            None
        } else {
            logs.cors_error(&format!("t={}", token(Engine::Chromium, *backend, *index)))
                .map(|(code, _)| code)
        };
        let probe_readable = verdict.verdict == Some(Verdict::Allowed);
        let probe_error = verdict.diagnosis.as_ref().map(|d| d.cors_error.to_owned());
        let agree = verdict.error.is_none()
            && chrome_readable == probe_readable
            && (chrome_readable || chrome_error.is_none() || chrome_error == probe_error);
        let _ = writeln!(
            report,
            "| {} | {} | {} | {} | {} |",
            backend.name(),
            scenario.desc,
            chrome_error.as_deref().unwrap_or(if chrome_readable {
                "readable"
            } else {
                "blocked"
            }),
            probe_error
                .as_deref()
                .unwrap_or(if probe_readable { "readable" } else { "?" }),
            if agree { "=" } else { "DIFFERENT" }
        );
        if !agree {
            disagreements.push(format!(
                "{} / {}: Chromium {} {:?}, cors-probe {:?} {:?} {:?}",
                backend.name(),
                scenario.desc,
                if chrome_readable {
                    "readable"
                } else {
                    "blocked"
                },
                chrome_error,
                verdict.verdict,
                probe_error,
                verdict.error
            ));
        }
    }
    let path = target_dir().join("probe-crosscheck.md");
    let _ = std::fs::write(
        &path,
        format!(
            "| backend | scenario | Chromium | cors-probe | |\n|---|---|---|---|---|\n{report}\n{} \
             comparisons, {} disagreement(s).\n",
            chromium.len(),
            disagreements.len()
        ),
    );
    eprintln!(
        "cors-probe vs Chromium: {} scenarios × {} backends compared; table in {}",
        table.len(),
        Backend::ALL.len(),
        path.display()
    );
    assert!(
        disagreements.is_empty(),
        "cors-probe disagrees with Chromium in {} case(s):\n  {}",
        disagreements.len(),
        disagreements.join("\n  ")
    );
}

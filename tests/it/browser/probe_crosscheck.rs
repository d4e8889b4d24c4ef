//! Cross-check of `cors-probe` against Chromium: every scenario of the suite that is one
//! request from a fresh browser (no repeat, no redirect, no cache priming, no sandboxed
//! iframe) runs in Chromium and through the probe, against both backends; the probe's verdict
//! (readable or blocked) and, when blocked, its `corsError` and its whole console sentence must
//! be Chromium's, byte for byte.

use std::fmt::Write as _;

use cors_probe::{Probe, Verdict};

use super::backends::Backend;
use super::harness::{Browser, Engine};
use super::scenarios::{self, Credentials, Scenario};
use super::{collect_logs, run_backend, serve_table, target_dir, token, url_for, Attempt};

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

/// The sentence in a console line, from "Access to fetch at" on (ChromeDriver prefixes the
/// page's URL and a line number, and quotes the message when it is a string).
fn sentence(line: &str) -> &str {
    let Some(start) = line.find("Access to fetch at ") else {
        return line;
    };
    let quoted = line[..start].ends_with('"');
    let rest = &line[start..];
    if quoted {
        rest.strip_suffix('"').unwrap_or(rest)
    } else {
        rest
    }
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
    let mut sentences = 0usize;
    for (backend, index, attempts) in &chromium {
        let scenario = &table[*index];
        let request = &scenario.request;
        let url = url_for(Engine::Chromium, *backend, *index, request, ports);
        let connect = loopback(&url);
        let mut probe = Probe::new(&connect, &ports.fill(request.page));
        probe.method = request.method.to_owned();
        probe.headers = request
            .headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        probe.credentials = request.credentials == Credentials::Include;
        probe.body = request.body.map(|b| b.as_bytes().to_vec());
        // The browser sends every method: so does the probe, against the suite's own servers.
        probe.send = true;
        let verdict = cors_probe::run(&probe).await;

        let chrome_readable = matches!(attempts.first(), Some(Attempt::Readable { .. }));
        let needle = format!("t={}", token(Engine::Chromium, *backend, *index));
        let (chrome_error, chrome_sentence) = if chrome_readable {
            (None, None)
        } else {
            (
                logs.cors_error(&needle).map(|(code, _)| code),
                logs.console_block(&needle).map(sentence),
            )
        };
        let probe_readable = verdict.verdict == Some(Verdict::Allowed);
        let probe_error = verdict.diagnosis.as_ref().map(|d| d.cors_error.to_owned());
        // The probe names the URL it connected to: the loopback form of a
        // `.test` URL, which the sentence then names instead of the page's.
        let probe_sentence = verdict
            .console
            .as_deref()
            .map(|s| s.replacen(&format!("'{connect}'"), &format!("'{url}'"), 1));
        let same_sentence = chrome_readable
            || (chrome_sentence.is_some() && chrome_sentence == probe_sentence.as_deref());
        let agree = verdict.error.is_none()
            && chrome_readable == probe_readable
            && (chrome_readable || chrome_error.is_none() || chrome_error == probe_error)
            && same_sentence;
        if !chrome_readable {
            sentences += 1;
        }
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
                "{} / {}: Chromium {} {:?}\n      {:?}\n    cors-probe {:?} {:?} {:?}\n      {:?}",
                backend.name(),
                scenario.desc,
                if chrome_readable {
                    "readable"
                } else {
                    "blocked"
                },
                chrome_error,
                chrome_sentence,
                verdict.verdict,
                probe_error,
                verdict.error,
                probe_sentence
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
        "cors-probe vs Chromium: {} scenarios × {} backends compared, {sentences} console \
         sentences byte for byte; table in {}",
        table.len(),
        Backend::ALL.len(),
        path.display()
    );
    assert!(
        sentences >= 20,
        "only {sentences} blocked cases to compare sentences on"
    );
    assert!(
        disagreements.is_empty(),
        "cors-probe disagrees with Chromium in {} case(s):\n  {}",
        disagreements.len(),
        disagreements.join("\n  ")
    );
}

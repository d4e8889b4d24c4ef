//! HTTPS with a private certificate authority, made in the test: unknown to the bundled roots
//! (a network error, as in a browser without the CA), trusted with `--cacert` or
//! `SSL_CERT_FILE`, and accepted but marked with `--insecure`.

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;
use support::ORIGIN;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A CA and a server certificate for `localhost` and 127.0.0.1 signed by it.
struct Pki {
    ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "cors-probe test CA");
    let ca_key = KeyPair::generate().expect("CA key");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);

    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, &issuer).expect("certificate");
    Pki {
        ca_pem: ca_cert.pem(),
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// An HTTPS server answering every request with `Access-Control-Allow-Origin: ORIGIN`.
async fn serve_tls(pki: &Pki) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), pki.key.clone_key())
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 200 OK\r\naccess-control-allow-origin: {ORIGIN}\r\n\
                     content-length: 2\r\nconnection: close\r\n\r\nok"
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

async fn probe(args: &[&str], ssl_cert_file: Option<&Path>) -> (i32, Value) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_cors-probe"));
    command.args(args).arg("--json").stdin(Stdio::null());
    command.env_remove("SSL_CERT_FILE");
    if let Some(path) = ssl_cert_file {
        command.env("SSL_CERT_FILE", path);
    }
    let output = command.output().await.expect("run cors-probe");
    let json: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)));
    (output.status.code().unwrap_or(-1), json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ca_is_trusted_with_cacert_or_ssl_cert_file_and_insecure_is_marked() {
    let pki = pki();
    let port = serve_tls(&pki).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).expect("write CA");
    let ca_arg = ca.to_str().expect("path");

    for host in ["localhost", "127.0.0.1"] {
        let url = format!("https://{host}:{port}/api");

        // Unknown CA: a network error, as in a browser that does not trust it.
        let (code, json) = probe(&[&url, "--origin", ORIGIN], None).await;
        assert_eq!(code, 2, "{json}");
        assert_eq!(json["error"]["kind"], "network", "{json}");
        let message = json["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains("UnknownIssuer"), "{message}");

        // --cacert: verified, allowed.
        let (code, json) = probe(&[&url, "--origin", ORIGIN, "--cacert", ca_arg], None).await;
        assert_eq!(
            (code, json["verdict"].as_str()),
            (0, Some("allowed")),
            "{json}"
        );
        let tls = json["request"]["tls"].as_str().unwrap_or("");
        assert!(
            tls.starts_with("verified against the bundled Mozilla roots and "),
            "{tls}"
        );
        assert!(tls.contains(ca_arg), "{tls}");

        // SSL_CERT_FILE: the same.
        let (code, json) = probe(&[&url, "--origin", ORIGIN], Some(&ca)).await;
        assert_eq!(
            (code, json["verdict"].as_str()),
            (0, Some("allowed")),
            "{json}"
        );

        // --insecure: allowed, and said not to be what a browser does.
        let (code, json) = probe(&[&url, "--origin", ORIGIN, "--insecure"], None).await;
        assert_eq!(code, 0, "{json}");
        let tls = json["request"]["tls"].as_str().unwrap_or("");
        assert!(tls.starts_with("NOT VERIFIED (--insecure)"), "{tls}");
        assert!(
            json["notes"]
                .to_string()
                .contains("a browser would not accept"),
            "{json}"
        );
    }

    // A CA file that is not PEM is a usage error before any request.
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").expect("write");
    let url = format!("https://localhost:{port}/api");
    let (code, json) = probe(
        &[
            &url,
            "--origin",
            ORIGIN,
            "--cacert",
            bad.to_str().expect("path"),
        ],
        None,
    )
    .await;
    assert_eq!(
        (code, json["error"]["kind"].as_str()),
        (2, Some("usage")),
        "{json}"
    );
    assert_eq!(json["steps"].as_array().map(Vec::len), Some(0), "{json}");
}

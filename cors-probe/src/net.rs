//! The HTTP/1.1 client: one request per connection, no redirect followed, no cookie jar, bounded
//! by a connect timeout and a deadline. TLS trusts the bundled Mozilla roots plus the
//! certificates of `--cacert` and `SSL_CERT_FILE`, or nothing at all with `--insecure`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// At most this many bytes of a response body are read; the first [`BODY_KEPT`] are kept.
const BODY_LIMIT: usize = 64 * 1024;

/// The part of a response body kept: enough to recognise a CORS layer's refusal text.
const BODY_KEPT: usize = 1024;

/// Where a request goes: scheme, host and port resolved from the URL.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) uri: Uri,
    /// `https://` or `wss://`.
    pub(crate) https: bool,
    /// `ws://` or `wss://`.
    pub(crate) websocket: bool,
    /// Lowercase, without the brackets of an IPv6 literal.
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Target {
    /// Parses an absolute `http://`, `https://`, `ws://` or `wss://` URL.
    pub(crate) fn parse(url: &str) -> Result<Target, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("{url:?} is not a URL: {e}"))?;
        let (https, websocket) = match uri.scheme_str() {
            Some("http") => (false, false),
            Some("https") => (true, false),
            Some("ws") => (false, true),
            Some("wss") => (true, true),
            Some(other) => {
                return Err(format!(
                    "{url:?}: scheme {other:?} is not supported, use http://, https://, ws:// or \
                     wss://"
                ))
            }
            None => {
                return Err(format!(
                    "{url:?} has no scheme: write http://… or https://…"
                ))
            }
        };
        let Some(authority) = uri.authority() else {
            return Err(format!("{url:?} has no host"));
        };
        if authority.as_str().contains('@') {
            return Err(format!(
                "{url:?} carries a user name or password, which a browser refuses for a \
                 cross-origin request"
            ));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok(Target {
            uri,
            https,
            websocket,
            host,
            port,
        })
    }

    /// The URL's origin serialized as a browser does (`http`/`https` for a WebSocket URL, whose
    /// origin is compared with the page's the same way): lowercase, no default port.
    pub(crate) fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default = if self.https { 443 } else { 80 };
        if self.port == default {
            format!("{scheme}://{host}")
        } else {
            format!("{scheme}://{host}:{}", self.port)
        }
    }

    /// The `Host` header value.
    fn host_header(&self) -> String {
        match self.uri.authority() {
            Some(a) => a.as_str().to_owned(),
            None => self.host.clone(),
        }
    }

    /// Origin-form request target: path and query.
    pub(crate) fn path_and_query(&self) -> String {
        self.uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
    }
}

/// Timeouts of one probe.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) connect: Duration,
    /// The whole probe must be done by then.
    pub(crate) deadline: Instant,
}

/// How TLS connections are checked.
#[derive(Clone, Debug, Default)]
#[cfg_attr(not(feature = "tls"), allow(dead_code))]
pub(crate) struct TlsOptions {
    /// PEM files whose certificates are trusted besides the bundled roots.
    pub(crate) cacert: Vec<PathBuf>,
    /// No certificate check at all.
    pub(crate) insecure: bool,
}

/// A client: the TLS configuration of one probe.
#[derive(Clone)]
pub(crate) struct Client {
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    tls: Option<tls::Config>,
}

impl Client {
    /// Reads the CA files now, so that a bad file is a usage error before any request.
    pub(crate) fn new(options: &TlsOptions, needed: bool) -> Result<Client, String> {
        let tls = if needed {
            Some(tls::Config::new(options)?)
        } else {
            None
        };
        Ok(Client { tls })
    }
}

/// A response as received.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) status: u16,
    pub(crate) reason: String,
    pub(crate) headers: HeaderMap,
    /// The first bytes of the body.
    pub(crate) body: Vec<u8>,
    /// The address connected to.
    pub(crate) peer: Option<IpAddr>,
}

/// Sends one request with exactly `headers` (plus `Host`) and `body`.
pub(crate) async fn send(
    client: &Client,
    target: &Target,
    method: &str,
    headers: &[(String, Vec<u8>)],
    body: &[u8],
    limits: Limits,
) -> Result<Received, String> {
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("{method:?} is not a valid HTTP method"))?;
    let mut builder = Request::builder()
        .method(method)
        .uri(target.path_and_query())
        .header(http::header::HOST, target.host_header());
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("{name:?} is not a valid header name"))?;
        let value = HeaderValue::from_bytes(value)
            .map_err(|_| format!("the value of {name} is not a valid header value"))?;
        builder = builder.header(name, value);
    }
    let request = builder
        .body(Full::new(Bytes::copy_from_slice(body)))
        .map_err(|e| format!("cannot build the request: {e}"))?;

    let remaining = limits.deadline.saturating_duration_since(Instant::now());
    let address = format!("{}:{}", target.host, target.port);
    let connect = TcpStream::connect(address.as_str());
    let tcp = match tokio::time::timeout(limits.connect.min(remaining), connect).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => return Err(format!("cannot connect to {address}: {e}")),
        Err(_) => {
            return Err(format!(
                "cannot connect to {address}: no answer within {:.1} s",
                limits.connect.min(remaining).as_secs_f64()
            ))
        }
    };
    let _ = tcp.set_nodelay(true);
    let peer = tcp.peer_addr().ok().map(|a| a.ip());
    let exchange = async {
        if target.https {
            let Some(config) = &client.tls else {
                return Err("TLS is not set up for this probe".to_owned());
            };
            let tls = config.connect(&target.host, tcp).await?;
            exchange(TokioIo::new(tls), request).await
        } else {
            exchange(TokioIo::new(tcp), request).await
        }
    };
    match tokio::time::timeout_at(limits.deadline, exchange).await {
        Ok(result) => result.map(|mut r| {
            r.peer = peer;
            r
        }),
        Err(_) => Err(format!(
            "{address} did not answer in time (raise --timeout if the server is slow)"
        )),
    }
}

async fn exchange<I>(io: I, request: Request<Full<Bytes>>) -> Result<Received, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("the server's answer is not valid HTTP/1.1: {e}"))?;
    let (parts, mut body) = response.into_parts();
    // Read a bounded part of the body so that a well-behaved server sees a complete exchange;
    // the probe judges headers, and keeps the start of the body to recognise refusal texts.
    // A `101 Switching Protocols` has no body: the connection is the other protocol's now.
    let mut read = 0usize;
    let mut kept = Vec::new();
    while read < BODY_LIMIT && parts.status != http::StatusCode::SWITCHING_PROTOCOLS {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    read += data.len();
                    let room = BODY_KEPT.saturating_sub(kept.len());
                    kept.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            Some(Err(_)) | None => break,
        }
    }
    driver.abort();
    Ok(Received {
        status: parts.status.as_u16(),
        reason: parts.status.canonical_reason().unwrap_or("").to_owned(),
        headers: parts.headers,
        body: kept,
        peer: None,
    })
}

#[cfg(feature = "tls")]
mod tls {
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};
    use tokio::net::TcpStream;
    use tokio_rustls::client::TlsStream;
    use tokio_rustls::TlsConnector;

    use super::TlsOptions;

    /// At most this many bytes are read from a CA file.
    const CA_FILE_LIMIT: u64 = 16 * 1024 * 1024;

    #[derive(Clone)]
    pub(super) struct Config(Arc<rustls::ClientConfig>);

    impl Config {
        pub(super) fn new(options: &TlsOptions) -> Result<Config, String> {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("cannot set up TLS: {e}"))?;
            let mut config = if options.insecure {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(NoCheck(provider)))
                    .with_no_client_auth()
            } else {
                let mut roots = rustls::RootCertStore::from_iter(
                    webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
                );
                for path in &options.cacert {
                    let mut pem = Vec::new();
                    let file = std::fs::File::open(path)
                        .map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
                    std::io::Read::read_to_end(
                        &mut std::io::Read::take(file, CA_FILE_LIMIT),
                        &mut pem,
                    )
                    .map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
                    let mut added = 0usize;
                    for cert in CertificateDer::pem_slice_iter(&pem) {
                        let cert = cert.map_err(|e| {
                            format!("CA file {}: not valid PEM: {e}", path.display())
                        })?;
                        roots.add(cert).map_err(|e| {
                            format!("CA file {}: a certificate is unusable: {e}", path.display())
                        })?;
                        added += 1;
                    }
                    if added == 0 {
                        return Err(format!(
                            "CA file {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                            path.display()
                        ));
                    }
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            };
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Ok(Config(Arc::new(config)))
        }

        pub(super) async fn connect(
            &self,
            host: &str,
            tcp: TcpStream,
        ) -> Result<TlsStream<TcpStream>, String> {
            let name = ServerName::try_from(host.to_owned())
                .map_err(|_| format!("{host:?} is not a valid TLS server name"))?;
            TlsConnector::from(self.0.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS with {host} failed: {e}"))
        }
    }

    /// `--insecure`: accepts any certificate; signatures are still checked, so the handshake
    /// itself is sound.
    #[derive(Debug)]
    struct NoCheck(Arc<rustls::crypto::CryptoProvider>);

    impl ServerCertVerifier for NoCheck {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}

#[cfg(not(feature = "tls"))]
mod tls {
    use tokio::net::TcpStream;

    use super::TlsOptions;

    #[derive(Clone)]
    pub(super) struct Config;

    impl Config {
        pub(super) fn new(_options: &TlsOptions) -> Result<Config, String> {
            Err(
                "https:// and wss://: this build of cors-probe has no TLS (feature `tls` is off)"
                    .to_owned(),
            )
        }

        pub(super) async fn connect(
            &self,
            host: &str,
            _tcp: TcpStream,
        ) -> Result<TcpStream, String> {
            Err(format!(
                "https://{host}: this build of cors-probe has no TLS (feature `tls` is off)"
            ))
        }
    }
}

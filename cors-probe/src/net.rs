//! The HTTP/1.1 client: one request per connection, no redirect followed, no cookie jar, bounded
//! by a connect timeout and a deadline.

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// At most this many bytes of a response body are read (and then dropped).
const BODY_LIMIT: usize = 64 * 1024;

/// Where a request goes: scheme, host and port resolved from the URL.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) uri: Uri,
    pub(crate) https: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Target {
    /// Parses an absolute `http://` or `https://` URL.
    pub(crate) fn parse(url: &str) -> Result<Target, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("{url:?} is not a URL: {e}"))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            Some(other) => {
                return Err(format!(
                    "{url:?}: scheme {other:?} is not supported, use http:// or https://"
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
            .to_owned();
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok(Target {
            uri,
            https,
            host,
            port,
        })
    }

    /// The `Host` header value.
    fn host_header(&self) -> String {
        match self.uri.authority() {
            Some(a) => a.as_str().to_owned(),
            None => self.host.clone(),
        }
    }

    /// Origin-form request target: path and query.
    fn path_and_query(&self) -> String {
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

/// A response as received.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) status: u16,
    pub(crate) reason: String,
    pub(crate) headers: HeaderMap,
}

/// Sends one request with exactly `headers` (plus `Host`) and an empty body.
pub(crate) async fn send(
    target: &Target,
    method: &str,
    headers: &[(String, Vec<u8>)],
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
        .body(Empty::<Bytes>::new())
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
    let exchange = async {
        if target.https {
            let tls = tls::connect(&target.host, tcp).await?;
            exchange(TokioIo::new(tls), request).await
        } else {
            exchange(TokioIo::new(tcp), request).await
        }
    };
    match tokio::time::timeout_at(limits.deadline, exchange).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "{address} did not answer in time (raise --timeout if the server is slow)"
        )),
    }
}

async fn exchange<I>(io: I, request: Request<Empty<Bytes>>) -> Result<Received, String>
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
    // the probe judges headers only.
    let mut read = 0usize;
    while read < BODY_LIMIT {
        match body.frame().await {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
            Some(Err(_)) | None => break,
        }
    }
    driver.abort();
    Ok(Received {
        status: parts.status.as_u16(),
        reason: parts.status.canonical_reason().unwrap_or("").to_owned(),
        headers: parts.headers,
    })
}

#[cfg(feature = "tls")]
mod tls {
    use std::sync::{Arc, OnceLock};

    use rustls::pki_types::ServerName;
    use tokio::net::TcpStream;
    use tokio_rustls::client::TlsStream;
    use tokio_rustls::TlsConnector;

    fn config() -> Result<Arc<rustls::ClientConfig>, String> {
        static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
        CONFIG
            .get_or_init(|| {
                let roots = rustls::RootCertStore::from_iter(
                    webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
                );
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let mut config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|e| format!("cannot set up TLS: {e}"))?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                config.alpn_protocols = vec![b"http/1.1".to_vec()];
                Ok(Arc::new(config))
            })
            .clone()
    }

    pub(super) async fn connect(
        host: &str,
        tcp: TcpStream,
    ) -> Result<TlsStream<TcpStream>, String> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| format!("{host:?} is not a valid TLS server name"))?;
        TlsConnector::from(config()?)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {host} failed: {e}"))
    }
}

#[cfg(not(feature = "tls"))]
mod tls {
    use tokio::net::TcpStream;

    pub(super) async fn connect(host: &str, _tcp: TcpStream) -> Result<TcpStream, String> {
        Err(format!(
            "https://{host}: this build of cors-probe has no TLS (feature `tls` is off)"
        ))
    }
}

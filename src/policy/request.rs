//! What a request is, read from its head: a copy of the head for
//! predicates, and whether it opens a WebSocket.

use http::header::{CONNECTION, UPGRADE};
use http::request::Parts;
use http::{HeaderMap, HeaderName, Method, Request};

use crate::headers::list_has_token;

/// A copy of a request's head, for a predicate that takes [`Parts`].
pub(super) fn head_of<B>(request: &Request<B>) -> Parts {
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.method = request.method().clone();
    parts.uri = request.uri().clone();
    parts.version = request.version();
    parts.headers = request.headers().clone();
    parts.extensions = request.extensions().clone();
    parts
}

/// A WebSocket opening handshake: HTTP/1.1 `GET` with `Connection: upgrade`
/// and `Upgrade: websocket` (RFC 6455 §4.1, tokens in any case), or an
/// HTTP/2 or HTTP/3 extended `CONNECT` (RFC 8441, RFC 9220). The `:protocol`
/// of an extended `CONNECT` is kept by the server library in its own
/// extension type, so every `CONNECT` carrying `Origin` counts: browsers send
/// `CONNECT` only for extended `CONNECT` (WebSocket, WebTransport).
///
/// Bounded: a `Connection` or `Upgrade` value over [`MAX_UPGRADE_VALUE_LEN`]
/// bytes, or a request with more than [`MAX_UPGRADE_LINES`] lines of one, is
/// taken to hold the token without being scanned (browsers send a few
/// bytes; failing closed keeps a padded handshake from passing the guard).
pub(crate) fn is_websocket_upgrade(method: &Method, headers: &HeaderMap) -> bool {
    if method == Method::CONNECT {
        return true;
    }
    let has = |name: HeaderName, token: &[u8]| {
        let mut lines = headers.get_all(name).iter();
        lines
            .by_ref()
            .take(MAX_UPGRADE_LINES)
            .any(|v| v.len() > MAX_UPGRADE_VALUE_LEN || list_has_token(v.as_bytes(), token))
            || lines.next().is_some()
    };
    method == Method::GET && has(CONNECTION, b"upgrade") && has(UPGRADE, b"websocket")
}

/// Longest `Connection` or `Upgrade` value scanned for its token.
pub(crate) const MAX_UPGRADE_VALUE_LEN: usize = 256;
/// Most `Connection` or `Upgrade` lines scanned.
pub(crate) const MAX_UPGRADE_LINES: usize = 16;

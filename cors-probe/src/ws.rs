//! WebSocket handshakes: what `new WebSocket(url)` on a page sends, and whether the browser
//! would open the socket. CORS does not apply: the browser connects to any origin and the
//! server alone decides from `Origin`, so a server that accepts any origin lets every site talk
//! to it with the user's cookies (cross-site WebSocket hijacking).

use std::hash::{BuildHasher, Hasher};

use cors_model::get_header;

use crate::judge::Diagnosis;
use crate::{Probe, Report, Verdict, Wire, USER_AGENT};

/// RFC 6455's GUID appended to the key before hashing.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

pub(crate) async fn run(probe: &Probe, wire: &Wire, report: &mut Report) {
    report.method = "GET".to_owned();
    let mut protocols = Vec::new();
    for (name, value) in &probe.headers {
        if name.eq_ignore_ascii_case("sec-websocket-protocol") {
            protocols.push(value.clone());
        } else {
            report.error = Some(crate::ProbeError::Usage(format!(
                "-H {name}: a page cannot set headers on a WebSocket handshake; only the \
                 subprotocols of `new WebSocket(url, protocols)`, as -H \
                 'Sec-WebSocket-Protocol: chat'"
            )));
            return;
        }
    }
    let key = base64(&nonce());
    let mut headers: Vec<(String, Vec<u8>)> = vec![
        ("pragma".to_owned(), b"no-cache".to_vec()),
        ("cache-control".to_owned(), b"no-cache".to_vec()),
        ("user-agent".to_owned(), USER_AGENT.as_bytes().to_vec()),
        ("upgrade".to_owned(), b"websocket".to_vec()),
        ("origin".to_owned(), probe.origin.as_bytes().to_vec()),
        ("sec-websocket-version".to_owned(), b"13".to_vec()),
        ("sec-websocket-key".to_owned(), key.as_bytes().to_vec()),
        ("connection".to_owned(), b"Upgrade".to_vec()),
    ];
    if !protocols.is_empty() {
        headers.push((
            "sec-websocket-protocol".to_owned(),
            protocols.join(", ").into_bytes(),
        ));
    }
    // A browser sends the site's cookies with every handshake (SameSite permitting), whatever
    // a fetch's credentials mode would be.
    if !probe.cookies.is_empty() {
        headers.push(("cookie".to_owned(), probe.cookies.join("; ").into_bytes()));
        report.sent.cookies = probe.cookies.clone();
    }
    report.sent.headers = crate::display(&headers);
    let answer = match wire
        .exchange(report, "handshake", "GET", &headers, &[])
        .await
    {
        Ok(a) => a,
        Err(e) => {
            report.error = Some(crate::ProbeError::Network(e));
            return;
        }
    };
    let response = &answer.response;
    let text = |name: &str| {
        get_header(&response.headers, name).map(|v| String::from_utf8_lossy(&v).into_owned())
    };
    // Chromium's checks, in its order (`WebSocketBasicHandshakeStream`), with its words.
    let failure: Option<(&'static str, String)> = if response.status != 101 {
        Some((
            "UnexpectedResponseCode",
            format!("Unexpected response code: {}", response.status),
        ))
    } else if let Some(reason) = match text("upgrade") {
        None => Some("'Upgrade' header is missing".to_owned()),
        Some(v) if !v.trim().eq_ignore_ascii_case("websocket") => {
            Some(format!("'Upgrade' header value is not 'WebSocket': {v}"))
        }
        _ => None,
    } {
        Some(("InvalidUpgradeHeader", reason))
    } else if let Some(reason) = match text("connection") {
        None => Some("'Connection' header is missing".to_owned()),
        Some(v)
            if !v
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("upgrade")) =>
        {
            Some("'Connection' header value must contain 'Upgrade'".to_owned())
        }
        _ => None,
    } {
        Some(("InvalidConnectionHeader", reason))
    } else {
        match text("sec-websocket-accept") {
            None => Some((
                "MissingAccept",
                "'Sec-WebSocket-Accept' header is missing".to_owned(),
            )),
            Some(v) if v.trim() != accept_for(&key) => Some((
                "IncorrectAccept",
                "Incorrect 'Sec-WebSocket-Accept' header value".to_owned(),
            )),
            _ => match (text("sec-websocket-protocol"), protocols.is_empty()) {
                (Some(p), true) => Some((
                    "UnexpectedProtocol",
                    format!(
                        "Response must not include 'Sec-WebSocket-Protocol' header if not \
                         present in request: {p}"
                    ),
                )),
                (None, false) => Some((
                    "MissingProtocol",
                    "Sent non-empty 'Sec-WebSocket-Protocol' header but no response was \
                     received"
                        .to_owned(),
                )),
                _ => None,
            },
        }
    };
    let cross_origin = probe.origin != wire.target.origin();
    match failure {
        None => {
            if let Some(step) = report.steps.last_mut() {
                step.passed = true;
                step.verdict = "handshake accepted: the socket opens".to_owned();
            }
            report.verdict = Some(Verdict::Allowed);
            if cross_origin {
                origin_check(probe, wire, report, &headers).await;
            }
        }
        Some((kind, reason)) => {
            if let Some(step) = report.steps.last_mut() {
                step.verdict = format!("handshake failed: {reason}");
            }
            let refused = answer.body.starts_with(b"WebSocket upgrade refused: ");
            let mut hints = Vec::new();
            if refused && response.status == 403 {
                let said = String::from_utf8_lossy(&answer.body).trim().to_owned();
                hints.push(format!(
                    "tower-cors refused this handshake on purpose (its answer says \"{said}\"): \
                     {} is not in the server's allow-list for WebSockets. Whether this origin \
                     may connect is the API owner's decision; if it should, they add it to the \
                     policy",
                    probe.origin
                ));
            } else if matches!(response.status, 401 | 403) {
                hints.push(format!(
                    "the handshake was answered {}: the server refuses this origin or these \
                     credentials. A page on {} cannot connect; if it should, the server's \
                     WebSocket origin check or authentication must accept it (a browser sends \
                     the site's cookies with the handshake, but no `Authorization`)",
                    response.status, probe.origin
                ));
            } else if response.status == 200 || response.status == 404 || response.status == 426 {
                hints.push(format!(
                    "the server answered {} instead of 101: no WebSocket endpoint at this path \
                     (or a proxy in front drops `Upgrade`: in nginx, `proxy_http_version 1.1; \
                     proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \
                     \"upgrade\";`)",
                    response.status
                ));
            }
            report.console = Some(format!(
                "WebSocket connection to '{}' failed: Error during WebSocket handshake: {reason}",
                report.url
            ));
            report.hints.extend(hints.iter().cloned());
            report.diagnosis = Some(Diagnosis {
                cors_error: kind,
                reason,
                hints,
            });
            report.verdict = Some(Verdict::Blocked);
        }
    }
}

/// After an accepted handshake, asks again from an origin nobody allows: a server that accepts
/// it too does not check `Origin`, and any site can open the socket with the user's cookies.
async fn origin_check(
    probe: &Probe,
    wire: &Wire,
    report: &mut Report,
    headers: &[(String, Vec<u8>)],
) {
    let key = base64(&nonce());
    let headers: Vec<(String, Vec<u8>)> = headers
        .iter()
        .filter(|(n, _)| n != "cookie")
        .map(|(n, v)| match n.as_str() {
            "origin" => (n.clone(), crate::OTHER_ORIGIN.as_bytes().to_vec()),
            "sec-websocket-key" => (n.clone(), key.as_bytes().to_vec()),
            _ => (n.clone(), v.clone()),
        })
        .collect();
    let Ok(answer) = wire
        .exchange(report, "origin-check", "GET", &headers, &[])
        .await
    else {
        report.warnings.push(
            "the handshake from another origin failed to get an answer: whether the server \
             checks `Origin` is unknown"
                .to_owned(),
        );
        return;
    };
    let accepted = answer.response.status == 101;
    if let Some(step) = report.steps.last_mut() {
        step.passed = !accepted;
        step.verdict = if accepted {
            format!(
                "accepted from {} too: the server does not check Origin",
                crate::OTHER_ORIGIN
            )
        } else {
            format!(
                "refused from {} ({}): the server checks Origin",
                crate::OTHER_ORIGIN,
                answer.response.status
            )
        };
    }
    if accepted {
        report.warnings.push(format!(
            "cross-site WebSocket hijacking: the server accepts handshakes from any origin (it \
             accepted {} and {} alike). Browsers apply no CORS to WebSockets and send the \
             user's cookies with the handshake, so if the socket acts on the user's session, \
             a page on any site can use it as the user. Check `Origin` against an allow-list \
             before upgrading (tower-cors: `guard_websockets(true)` refuses other origins with \
             403), or authenticate with a token the page sends in a message",
            probe.origin,
            crate::OTHER_ORIGIN
        ));
    }
}

/// 16 bytes that differ from one handshake to the next (the key is a nonce, not a secret).
fn nonce() -> [u8; 16] {
    let mut out = [0u8; 16];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_usize(i);
        if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            hasher.write_u128(now.as_nanos());
        }
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    out
}

/// `Sec-WebSocket-Accept` for `key`: base64(SHA-1(key + GUID)).
pub(crate) fn accept_for(key: &str) -> String {
    base64(&sha1(format!("{key}{GUID}").as_bytes()))
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// SHA-1 (RFC 3174), for the handshake's accept value only.
fn sha1(message: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut data = message.to_vec();
    let bits = (message.len() as u64).wrapping_mul(8);
    data.push(0x80);
    while data.len() % 64 != 56 {
        data.push(0);
    }
    data.extend_from_slice(&bits.to_be_bytes());
    for block in data.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, word) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_value_is_rfc_6455s() {
        // RFC 6455 section 1.3's example.
        assert_eq!(
            accept_for("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(&nonce()).len(), 24);
        assert_ne!(nonce(), nonce());
    }
}

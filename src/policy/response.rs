//! The response headers a policy owns: `Access-Control-Allow-Origin` set in
//! a template, `Vary` merged token-wise, every other `Access-Control-*`
//! header of the inner service removed.

use http::header::{
    Entry, OccupiedEntry, ACCESS_CONTROL_ALLOW_CREDENTIALS as ACAC,
    ACCESS_CONTROL_ALLOW_HEADERS as ACAH, ACCESS_CONTROL_ALLOW_METHODS as ACAM,
    ACCESS_CONTROL_ALLOW_ORIGIN as ACAO, ACCESS_CONTROL_EXPOSE_HEADERS as ACEH,
    ACCESS_CONTROL_MAX_AGE as ACMA, VARY,
};
use http::{HeaderMap, HeaderValue};

use super::ACAPN;
use crate::headers::list_contains;

/// Sets `Access-Control-Allow-Origin` in a map cloned from a template, where
/// it is the first entry: no hash lookup.
pub(super) fn set_allow_origin(headers: &mut HeaderMap, origin: HeaderValue) {
    match headers.iter_mut().next() {
        Some((name, value)) if name == ACAO => *value = origin,
        _ => {
            headers.insert(ACAO, origin);
        }
    }
}

/// Adds `tokens` to `Vary` token-wise: case-insensitive, no duplicates, `*`
/// left alone, existing values kept (RFC 9110 §12.5.5). `value` is `tokens`
/// already joined, used when the response has no `Vary` yet.
pub(super) fn merge_vary(headers: &mut HeaderMap, value: &HeaderValue, tokens: &[&str]) {
    // One hash and probe: the entry is either vacant (the common case) or
    // holds the inner service's values.
    let mut existing = match headers.entry(VARY) {
        Entry::Vacant(e) => {
            e.insert(value.clone());
            return;
        }
        Entry::Occupied(e) => e,
    };
    let missing = |e: &OccupiedEntry<'_, HeaderValue>, t: &str| {
        !e.iter().any(|v| list_contains(v.as_bytes(), t))
    };
    if !tokens.iter().any(|t| missing(&existing, t)) {
        return;
    }
    // One allocation, of the exact size: the bytes become the value's buffer
    // without a copy.
    let joined: usize = existing.iter().map(|v| v.len() + 2).sum();
    let added: usize = tokens
        .iter()
        .filter(|t| missing(&existing, t))
        .map(|t| t.len() + 2)
        .sum();
    let mut merged: Vec<u8> = Vec::with_capacity((joined + added).saturating_sub(2));
    for v in existing.iter() {
        if !merged.is_empty() {
            merged.extend_from_slice(b", ");
        }
        merged.extend_from_slice(v.as_bytes());
    }
    for t in tokens.iter().filter(|t| missing(&existing, t)) {
        merged.extend_from_slice(b", ");
        merged.extend_from_slice(t.as_bytes());
    }
    match HeaderValue::from_maybe_shared(bytes::Bytes::from(merged)) {
        Ok(v) => {
            existing.insert(v);
        }
        // Unreachable with valid inputs; keep the inner values and add ours.
        Err(_) => existing.append(value.clone()),
    }
}

/// Removes every `Access-Control-*` header of a response without allocating:
/// the layer's own names by constant, any other (rare) one by a copy of its
/// name on the stack.
pub(super) fn remove_access_control(headers: &mut HeaderMap) {
    for name in [ACAO, ACAC, ACAH, ACAM, ACEH, ACMA, ACAPN] {
        headers.remove(name);
    }
    // Each turn removes one name: at most as many turns as there are names.
    for _ in 0..headers.keys_len() {
        let mut buf = [0u8; 128];
        let len = match headers
            .keys()
            .find(|k| k.as_str().starts_with("access-control-"))
        {
            None => return,
            Some(name) if name.as_str().len() <= buf.len() => {
                let name = name.as_str().as_bytes();
                buf[..name.len()].copy_from_slice(name);
                name.len()
            }
            // A name longer than the buffer: one copy on the heap.
            Some(name) => {
                let name = name.clone();
                headers.remove(name);
                continue;
            }
        };
        match std::str::from_utf8(&buf[..len]) {
            Ok(name) => {
                headers.remove(name);
            }
            Err(_) => return,
        }
    }
}

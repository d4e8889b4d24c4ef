//! What a host, or the end of one read so far, says about who owns it: a
//! registrable domain, an unlisted top-level domain, a literal, the user's own
//! machine, or names strangers can claim (Public Suffix List).

use super::{Site, HOST_BYTES};
use crate::psl;

/// Whether a host end can take one more byte `b` in front and still be part
/// of a host a browser sends: labels of at most 63 bytes, names of at most
/// 253, and a numeric last label only in a dotted IPv4 address.
pub(super) fn fits(suffix: &str, b: u8) -> bool {
    let first_label = suffix.split('.').next().unwrap_or("");
    if first_label.len() >= 63 || suffix.len() >= 253 {
        return false;
    }
    match suffix.rsplit_once('.') {
        Some((_, last)) if is_number(last) => {
            b.is_ascii_digit() && first_label.len() < 3 && suffix.len() < 15
        }
        _ => true,
    }
}

/// Whether a host end (whole labels) can be continued by a `.` in front:
/// inside an IPv4 address, only after an octet, at most four of them.
pub(super) fn fits_dot(suffix: &str) -> bool {
    let last = suffix.rsplit('.').next().unwrap_or(suffix);
    if !is_number(last) {
        return true;
    }
    let first = suffix.split('.').next().unwrap_or(suffix);
    is_number(first) && first.len() <= 3 && suffix.matches('.').count() < 3
}

fn is_number(label: &str) -> bool {
    !label.is_empty() && label.bytes().all(|b| b.is_ascii_digit())
}

/// What a host end read so far (whole labels) says about every longer host.
pub(super) enum Anchor {
    /// Nothing yet: a public suffix, a suffix with public suffixes below it,
    /// or part of an IPv4 address.
    Open,
    /// Every host ending in it belongs to one site.
    Owned(Site),
    /// Every host ending in it is the user's own machine.
    Loopback,
    /// Every host ending in it can be claimed by strangers.
    Refused(String),
}

pub(super) fn anchor(suffix: &str) -> Anchor {
    let last = suffix.rsplit('.').next().unwrap_or(suffix);
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Anchor::Open;
    }
    if last == "localhost" {
        return Anchor::Loopback;
    }
    if last == "local" {
        return Anchor::Refused(MDNS.to_owned());
    }
    let public = psl::public_suffix(suffix);
    // A top-level domain the list knows only through rules below it (`ck`,
    // whose names are all under `*.ck`) is not a private one.
    if !public.listed && !psl::has_public_suffix_below(suffix) {
        return Anchor::Owned(Site::Private(last.to_owned()));
    }
    match psl::registrable_domain(suffix) {
        Some(domain) if !psl::has_public_suffix_below(suffix) => {
            Anchor::Owned(Site::Domain(domain.to_owned()))
        }
        _ => Anchor::Open,
    }
}

pub(super) const MDNS: &str =
    "it matches \".local\" names, which any device on the local network can answer for";

/// A whole host, classified.
pub(super) enum Host {
    /// Not a host browsers send.
    Invalid,
    Loopback,
    Site(Site),
    Refused(String),
}

pub(super) fn classify(host: &str) -> Host {
    if host.starts_with('[') {
        return match host.trim_start_matches('[').trim_end_matches(']') {
            "::1" => Host::Loopback,
            _ => Host::Site(Site::Literal(host.to_owned())),
        };
    }
    if host.is_empty()
        || host.len() > 253
        || host
            .split('.')
            .any(|l| l.is_empty() || l.len() > 63 || !l.bytes().all(|b| HOST_BYTES.contains(&b)))
    {
        return Host::Invalid;
    }
    let last = host.rsplit('.').next().unwrap_or(host);
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return match host.parse::<std::net::Ipv4Addr>() {
            Ok(ip) if ip.to_string() == host && ip.is_loopback() => Host::Loopback,
            Ok(ip) if ip.to_string() == host => Host::Site(Site::Literal(host.to_owned())),
            _ => Host::Invalid,
        };
    }
    match anchor(host) {
        Anchor::Loopback => Host::Loopback,
        Anchor::Refused(why) => Host::Refused(why),
        Anchor::Owned(site) => Host::Site(site),
        Anchor::Open => match psl::registrable_domain(host) {
            Some(domain) => Host::Site(Site::Domain(domain.to_owned())),
            None => Host::Refused(format!("it matches the public suffix {host:?} as a host")),
        },
    }
}

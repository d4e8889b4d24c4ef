//! Local Network Access: what Chrome 142 and later do when a page on a public origin reaches a
//! loopback or private address.

use std::net::IpAddr;

use crate::net::Target;

/// An address space as Local Network Access names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Space {
    Loopback,
    Local,
    Public,
}

impl Space {
    fn name(self) -> &'static str {
        match self {
            Space::Loopback => "loopback",
            Space::Local => "local",
            Space::Public => "public",
        }
    }
}

/// The address space of an IP address (IPv4-mapped IPv6 addresses as their IPv4 address).
pub(crate) fn space_of(ip: IpAddr) -> Space {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Space::Loopback
            } else if v4.is_private()
                || v4.is_link_local()
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || v4.is_unspecified()
            {
                Space::Local
            } else {
                Space::Public
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return space_of(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Space::Loopback
            } else if (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6.is_unspecified()
            {
                Space::Local
            } else {
                Space::Public
            }
        }
    }
}

/// The address space of a page origin's host, as far as its name tells: `localhost` and
/// `*.localhost` are loopback, an IP literal is classified, any other name counts as public.
fn space_of_origin(origin: &str) -> Option<Space> {
    let (_, rest) = origin.split_once("://")?;
    let host = if let Some(v6) = rest.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        rest.split(':').next()?
    };
    if host == "localhost" || host.ends_with(".localhost") {
        return Some(Space::Loopback);
    }
    match host.parse::<IpAddr>() {
        Ok(ip) => Some(space_of(ip)),
        Err(_) => Some(Space::Public),
    }
}

/// The note for a public page reaching a loopback or local address, if that is the case.
pub(crate) fn note(origin: &str, target: &Target, address: Option<IpAddr>) -> Option<String> {
    let page = space_of_origin(origin)?;
    let ip = address.or_else(|| target.host.parse().ok())?;
    let space = space_of(ip);
    if page != Space::Public || space == Space::Public {
        return None;
    }
    let secure = if origin.starts_with("https://") {
        ""
    } else {
        " The page must be a secure context: a page on http:// is refused without a prompt."
    };
    Some(format!(
        "Local Network Access: a page on {origin} (public) reaches {ip}, a {} address. Chrome \
         142 and later ask the user first: the request waits on a permission prompt and fails \
         if the user does not allow it (Chrome 145 names the permissions `local-network` and \
         `loopback-network`). This replaced the Private Network Access preflights \
         (`Access-Control-Request-Private-Network`), which Chrome no longer sends.{secure} The \
         server cannot grant or skip the permission: no response header does, and \
         `Access-Control-Allow-Private-Network` changes nothing. The page can declare the \
         target, `fetch(url, {{ targetAddressSpace: '{}' }})` (needed to fetch an http:// \
         address from an https:// page), and an iframe needs \
         `allow=\"local-network-access\"`. Once the user allows it, CORS applies as this \
         report shows. Firefox and Safari have no such prompt",
        space.name(),
        space.name()
    ))
}

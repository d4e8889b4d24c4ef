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
    // Loopback addresses are potentially trustworthy, so http:// to them is not mixed content.
    let declare = if space == Space::Local && origin.starts_with("https://") && !target.https {
        " (an https:// page needs it to reach an http:// local address, which would otherwise \
         be blocked as mixed content)"
    } else {
        ""
    };
    Some(format!(
        "Local Network Access: a page on {origin} (public) reaches {ip}, a {} address. Chrome \
         142 and later ask the user first: the request waits on a permission prompt and fails \
         if the user does not allow it (Chrome 145 names the permissions `local-network` and \
         `loopback-network`). This replaced the Private Network Access preflights \
         (`Access-Control-Request-Private-Network`), which Chrome no longer sends.{secure} The \
         server cannot grant or skip the permission: no response header does, and \
         `Access-Control-Allow-Private-Network` changes nothing. The page can declare the \
         target, `fetch(url, {{ targetAddressSpace: '{}' }})`{declare}, and an iframe needs \
         `allow=\"local-network-access\"`. Once the user allows it, CORS applies as this \
         report shows. Firefox and Safari have no such prompt",
        space.name(),
        space.name()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        Target::parse(url).expect("url")
    }

    #[test]
    fn addresses_fall_in_their_spaces() {
        for (ip, space) in [
            ("127.0.0.1", Space::Loopback),
            ("127.8.9.10", Space::Loopback),
            ("::1", Space::Loopback),
            ("::ffff:127.0.0.1", Space::Loopback),
            ("10.1.2.3", Space::Local),
            ("172.16.0.1", Space::Local),
            ("172.31.255.255", Space::Local),
            ("192.168.1.1", Space::Local),
            ("169.254.1.1", Space::Local),
            ("100.64.0.1", Space::Local),
            ("fd00::1", Space::Local),
            ("fe80::1", Space::Local),
            ("172.32.0.1", Space::Public),
            ("8.8.8.8", Space::Public),
            ("2001:db8::1", Space::Public),
        ] {
            assert_eq!(space_of(ip.parse().expect("ip")), space, "{ip}");
        }
    }

    #[test]
    fn only_a_public_page_reaching_a_more_private_address_gets_the_note() {
        let loopback = Some("127.0.0.1".parse().expect("ip"));
        let text = note(
            "https://app.example.com",
            &target("http://127.0.0.1:8080/api"),
            loopback,
        )
        .expect("a public page reaching loopback");
        assert!(
            text.contains("Chrome 142 and later ask the user first"),
            "{text}"
        );
        assert!(text.contains("targetAddressSpace: 'loopback'"), "{text}");
        assert!(
            !text.contains("secure context"),
            "an https page is one: {text}"
        );
        let text = note_for_http_page();
        assert!(
            text.contains("a page on http:// is refused without a prompt"),
            "{text}"
        );
        // The address connected to counts, not the name.
        let local = Some("192.168.1.20".parse().expect("ip"));
        let text = note(
            "https://app.example.com",
            &target("http://printer.lan/"),
            local,
        )
        .expect("a public page reaching a local address");
        assert!(text.contains("a local address"), "{text}");
        assert!(text.contains("targetAddressSpace: 'local'"), "{text}");
        assert!(text.contains("blocked as mixed content"), "{text}");

        assert_eq!(note_from("http://localhost:3000", loopback), None);
        assert_eq!(note_from("http://127.0.0.1:3000", loopback), None);
        assert_eq!(note_from("http://192.168.1.5:3000", loopback), None);
        assert_eq!(
            note(
                "https://app.example.com",
                &target("https://api.example.com/"),
                Some("93.184.216.34".parse().expect("ip"))
            ),
            None
        );
    }

    fn note_for_http_page() -> String {
        note(
            "http://app.example.com",
            &target("http://127.0.0.1:8080/api"),
            Some("127.0.0.1".parse().expect("ip")),
        )
        .expect("note")
    }

    fn note_from(origin: &str, address: Option<IpAddr>) -> Option<String> {
        note(origin, &target("http://127.0.0.1:8080/api"), address)
    }
}

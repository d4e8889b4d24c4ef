//! The walk over the hosts of one scheme: domain names and IPv4 addresses
//! from their end on the reversed automaton, IPv6 literals and opaque hosts
//! forwards, each host recorded under the site that owns it.

use std::collections::HashMap;

use regex_automata::util::primitives::StateID;

use super::dfa::Dfa;
use super::host::{anchor, classify, fits, fits_dot, Anchor, Host, MDNS};
use super::{
    is_special, spend, Site, Unsafe, HOST_BYTES, IPV6_BYTES, MAX_SITES, OPAQUE_HOST_BYTES,
};
use crate::psl;

/// The hosts of one scheme.
pub(super) struct Walk<'a> {
    dfa: &'a Dfa,
    scheme: &'a str,
    /// The state right after `scheme://`.
    host_start: StateID,
    hints: &'a [String],
    budget: &'a mut usize,
    sites: Vec<(Site, String)>,
    /// A port suffix some host can end with, for witnesses.
    port: String,
}

impl<'a> Walk<'a> {
    pub(super) fn new(
        dfa: &'a Dfa,
        scheme: &'a str,
        host_start: StateID,
        hints: &'a [String],
        budget: &'a mut usize,
    ) -> Self {
        Self {
            dfa,
            scheme,
            host_start,
            hints,
            budget,
            sites: Vec::new(),
            port: String::new(),
        }
    }

    pub(super) fn run(mut self) -> Result<(), Unsafe> {
        if is_special(self.scheme) {
            self.domains()?;
            self.ipv6()
        } else {
            self.opaque()
        }
    }

    /// Records the site of a host; refuses once there are too many.
    fn site(&mut self, site: Site, host: &str) -> Result<(), Unsafe> {
        if self.sites.iter().any(|(s, _)| *s == site) {
            return Ok(());
        }
        self.sites.push((site, host.to_owned()));
        if self.sites.len() > MAX_SITES {
            return Err(self.too_many(host));
        }
        Ok(())
    }

    fn origin(&self, host: &str, port: &str) -> String {
        format!("{}://{host}{port}", self.scheme)
    }

    /// Refuses a regex whose hosts spread over more sites than anyone spells
    /// out.
    fn too_many(&self, fallback: &str) -> Unsafe {
        let spelled: Vec<String> = self
            .sites
            .iter()
            .take(3)
            .map(|(site, _)| match site {
                Site::Domain(d) | Site::Private(d) | Site::Literal(d) => format!("{d:?}"),
            })
            .collect();
        Unsafe::Reaches {
            witness: self.stranger(fallback),
            why: format!(
                "its hosts are not confined to registrable domains it spells out (it reaches {}, … — more than {MAX_SITES} sites)",
                spelled.join(", ")
            ),
        }
    }

    /// Refuses the regex for a host it matches.
    fn refuse(&self, host: &str, why: String) -> Unsafe {
        Unsafe::Reaches {
            witness: self.origin(host, &self.port),
            why,
        }
    }

    /// The most stranger-looking origin the regex matches: a look-alike of a
    /// name it spells out (`evilexample.com` next to `example.com`), a name
    /// under a suffix it leaves open, or `fallback`.
    fn stranger(&self, fallback: &str) -> String {
        let first = self.sites.first();
        let mut candidates = Vec::new();
        let look_alikes = |candidates: &mut Vec<String>, seed: &str| {
            let domain = psl::registrable_domain(seed).unwrap_or(seed);
            // A name that looks like someone's (`example.com`, not the
            // `a.com` a walk meets first) gets its look-alikes.
            if domain
                .split('.')
                .next()
                .is_some_and(|label| label.len() >= 4)
            {
                candidates.extend([
                    format!("evil{domain}"),
                    format!("evil-{domain}"),
                    format!("{domain}.evil.io"),
                ]);
            }
        };
        for hint in self.hints {
            look_alikes(&mut candidates, hint);
            candidates.push(format!("{hint}.evil"));
        }
        candidates.extend(["evil.com".to_owned(), "evil.io".to_owned()]);
        if let Some((_, seed)) = first {
            look_alikes(&mut candidates, seed);
            if let Some((_, tail)) = seed.split_once('.') {
                candidates.push(format!("evil.{tail}"));
            }
        }
        let ports = ["", self.port.as_str(), ":8443", ":3000", ":8080"];
        candidates
            .iter()
            .filter(|host| match classify(host) {
                Host::Site(site) => first.map_or(true, |(f, _)| site != *f),
                _ => false,
            })
            .find_map(|host| {
                ports.iter().find_map(|port| {
                    let origin = self.origin(host, port);
                    self.dfa.matches(origin.as_bytes()).then_some(origin)
                })
            })
            .unwrap_or_else(|| self.origin(fallback, &self.port))
    }

    /// Bracketed IPv6 hosts. A regex that can repeat inside the brackets
    /// reaches any address; otherwise the literals it spells out are
    /// enumerated.
    fn ipv6(&mut self) -> Result<(), Unsafe> {
        let Some(open) = self.dfa.step(self.host_start, b'[') else {
            return Ok(());
        };
        let Some(productive) = self.dfa.productive(open, IPV6_BYTES, b']', self.budget)? else {
            let witness = ["[2001:db8::bad]", "[fe80::1]", "[::2]"]
                .iter()
                .flat_map(|host| {
                    [self.port.as_str(), "", ":8443"].map(|port| self.origin(host, port))
                })
                .find(|origin| self.dfa.matches(origin.as_bytes()));
            return match witness {
                Some(witness) => Err(Unsafe::Reaches {
                    witness,
                    why: "it matches any IPv6 address".to_owned(),
                }),
                None => Err(Unsafe::TooComplex),
            };
        };
        let mut stack = vec![(open, String::from("["))];
        while let Some((state, text)) = stack.pop() {
            spend(self.budget)?;
            if let Some(close) = self.dfa.step(state, b']') {
                if let Some(port) = self.dfa.host_end(close) {
                    let host = format!("{text}]");
                    if text[1..].parse::<std::net::Ipv6Addr>().is_ok() {
                        self.port = port;
                        if let Host::Site(site) = classify(&host) {
                            self.site(site, &host)?;
                        }
                    }
                }
            }
            if text.len() > 40 {
                continue;
            }
            for &b in IPV6_BYTES {
                if let Some(next) = self.dfa.step(state, b).filter(|n| productive.contains(n)) {
                    let mut longer = text.clone();
                    longer.push(char::from(b));
                    stack.push((next, longer));
                }
            }
        }
        Ok(())
    }

    /// Opaque hosts of a non-special scheme, enumerated forwards: each one
    /// is its own site (an extension ID, an app shell's name).
    fn opaque(&mut self) -> Result<(), Unsafe> {
        let mut stack = vec![(self.host_start, String::new())];
        while let Some((state, host)) = stack.pop() {
            spend(self.budget)?;
            if !host.is_empty() {
                if let Some(port) = self.dfa.host_end(state) {
                    self.port = port;
                    let site = Site::Literal(format!("{}://{host}", self.scheme));
                    if self.sites.len() == MAX_SITES && !self.sites.iter().any(|(s, _)| *s == site)
                    {
                        return Err(self.refuse(
                            &host,
                            format!(
                                "it matches more than {MAX_SITES} {:?} origins: list the ones you trust as exact origins",
                                self.scheme
                            ),
                        ));
                    }
                    self.site(site, &host)?;
                }
            }
            if host.len() >= 253 {
                continue;
            }
            for &b in OPAQUE_HOST_BYTES.iter().rev() {
                if let Some(next) = self.dfa.step(state, b) {
                    let mut longer = host.clone();
                    longer.push(char::from(b));
                    stack.push((next, longer));
                }
            }
        }
        Ok(())
    }

    /// Domain names and IPv4 addresses, walked from their end on the
    /// reversed host automaton.
    fn domains(&mut self) -> Result<(), Unsafe> {
        let (before, ends) = self.reversed_hosts()?;
        // Depth first over (states the host's beginning can be in, the end of
        // the host read so far, reversed).
        let mut stack = vec![(ends, Vec::<u8>::new())];
        while let Some((set, reversed)) = stack.pop() {
            spend(self.budget)?;
            let suffix: String = reversed.iter().rev().map(|&b| char::from(b)).collect();
            if set.contains(&0) && !suffix.is_empty() {
                self.whole_host(&suffix)?;
            }
            self.longer_ends(&before, &set, &reversed, &suffix, &mut stack)?;
        }
        Ok(())
    }

    /// The part of the automaton a host can run through, reversed:
    /// `before[state * HOST_BYTES.len() + byte]` lists the states that step
    /// to `state` on `HOST_BYTES[byte]` (states numbered from 0, the host's
    /// start), and `ends` the states where a host can end.
    fn reversed_hosts(&mut self) -> Result<(Vec<Vec<usize>>, Vec<usize>), Unsafe> {
        // The part of the automaton a host can run through, and where a host
        // can end.
        let mut states = vec![self.host_start];
        let mut index = HashMap::from([(self.host_start, 0usize)]);
        let mut i = 0;
        while i < states.len() {
            spend(self.budget)?;
            let state = states[i];
            for &b in HOST_BYTES {
                if let Some(next) = self.dfa.step(state, b) {
                    if let std::collections::hash_map::Entry::Vacant(slot) = index.entry(next) {
                        slot.insert(states.len());
                        states.push(next);
                    }
                }
            }
            i += 1;
        }
        let mut before: Vec<Vec<usize>> = vec![Vec::new(); states.len() * HOST_BYTES.len()];
        let mut ends = Vec::new();
        for (from, &state) in states.iter().enumerate() {
            for (byte, &b) in HOST_BYTES.iter().enumerate() {
                if let Some(&to) = self.dfa.step(state, b).and_then(|n| index.get(&n)) {
                    before[to * HOST_BYTES.len() + byte].push(from);
                }
            }
            if let Some(port) = self.dfa.host_end(state) {
                if ends.is_empty() {
                    self.port = port;
                }
                ends.push(from);
            }
        }
        Ok((before, ends))
    }

    /// Records the site of a whole host the walk has read, or refuses the
    /// regex for it.
    fn whole_host(&mut self, suffix: &str) -> Result<(), Unsafe> {
        match classify(suffix) {
            Host::Site(site) => self.site(site, suffix)?,
            Host::Loopback | Host::Invalid => {}
            Host::Refused(why) if why == MDNS => return Err(self.refuse(suffix, why)),
            Host::Refused(why) => {
                let fallback = self.origin(suffix, &self.port);
                let witness = self.stranger(suffix);
                return Err(if witness == fallback {
                    self.refuse(suffix, why)
                } else {
                    Unsafe::Reaches {
                        witness,
                        why: String::new(),
                    }
                });
            }
        }
        Ok(())
    }

    /// Pushes on `stack` every one-byte-longer host end that can still be
    /// part of a host a browser sends; refuses the regex when a whole label
    /// read so far is a suffix strangers can register under.
    fn longer_ends(
        &mut self,
        before: &[Vec<usize>],
        set: &[usize],
        reversed: &[u8],
        suffix: &str,
        stack: &mut Vec<(Vec<usize>, Vec<u8>)>,
    ) -> Result<(), Unsafe> {
        for (byte, &b) in HOST_BYTES.iter().enumerate().rev() {
            let mut prev: Vec<usize> = set
                .iter()
                .flat_map(|&s| &before[s * HOST_BYTES.len() + byte])
                .copied()
                .collect();
            if prev.is_empty() {
                continue;
            }
            prev.sort_unstable();
            prev.dedup();
            if b == b'.' {
                if suffix.is_empty() || suffix.starts_with('.') || !fits_dot(suffix) {
                    continue;
                }
                match anchor(suffix) {
                    Anchor::Open => {}
                    Anchor::Owned(site) => {
                        let host = format!("x.{suffix}");
                        self.site(site, &host)?;
                        continue;
                    }
                    Anchor::Loopback => continue,
                    Anchor::Refused(why) => {
                        return Err(self.refuse(&format!("attacker.{suffix}"), why))
                    }
                }
            } else if !fits(suffix, b) {
                continue;
            }
            let mut longer = reversed.to_vec();
            longer.push(b);
            stack.push((prev, longer));
        }
        Ok(())
    }
}

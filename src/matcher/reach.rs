//! What an origin regex can reach (feature `regex`): the proof that decides
//! whether a regex may allow credentialed requests.
//!
//! A regex is safe with credentials only if every origin it can match, as
//! browsers serialize origins (`scheme://host[:port]`), has a host
//!
//! - equal to or under one of at most [`MAX_SITES`] registrable domains
//!   (Public Suffix List) — the ones the regex spells out — with no public
//!   suffix below the part the regex leaves open, or
//! - under an unlisted top-level domain other than `local` (`internal`,
//!   `test`: names no stranger can register, as for patterns), or
//! - `localhost`, a name under it, or a loopback IP literal, or
//! - one of at most [`MAX_SITES`] IP literals or opaque hosts it spells out.
//!
//! The proof runs on the regex's automaton, not on samples: the anchored
//! expression is determinized (a dense DFA, within a size budget), the
//! schemes it can start with are enumerated, and for each scheme the hosts
//! are walked from their end, label by label, on the reversed automaton. A
//! walk stops as soon as the labels read name a registrable domain with no
//! public suffix below it: every longer host then belongs to that domain's
//! owner. A regex whose walk does not end within the budget is refused as
//! too complex to prove safe.

use std::collections::{HashMap, HashSet};

use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::Anchored;
use regex_syntax::hir::Hir;

use crate::psl;

/// Most registrable domains (or IP literals, or opaque hosts) a credentialed
/// regex may reach: more is a class of strangers' names, not a list of one's
/// own (`https://[a-z]\.com` reaches 26).
pub(crate) const MAX_SITES: usize = 16;
/// Most states the walks may visit before the regex is called too complex.
const MAX_NODES: usize = 20_000;
/// Most distinct schemes a credentialed regex may match.
const MAX_SCHEMES: usize = 8;
/// Longest scheme the enumeration follows.
const MAX_SCHEME_LEN: usize = 40;
/// Memory budget of the automaton and of its construction.
const DFA_BYTES: usize = 2 << 20;

/// Why a credentialed regex is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unsafe {
    /// It matches `witness`, an origin a stranger can claim; `why` says how
    /// (empty: its hosts are not confined to the domains it spells out).
    Reaches { witness: String, why: String },
    /// The proof did not finish within its budget.
    TooComplex,
}

/// What owns the hosts of one branch of the walk.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Site {
    /// A registrable domain: `example.com`.
    Domain(String),
    /// An unlisted top-level domain: `internal`.
    Private(String),
    /// An IP literal or an opaque host, spelled out.
    Literal(String),
}

/// Checks that every origin the anchored expression `hir` can match stays
/// within the sites it spells out.
///
/// `hints`: names the expression spells out (`example.com`), from which the
/// error's example of a stranger's origin is built.
pub(crate) fn check(hir: &Hir, hints: &[String]) -> Result<(), Unsafe> {
    let dfa = Dfa::build(hir)?;
    let mut budget = MAX_NODES;
    // The schemes of nearly every credentialed origin first, so that the
    // witness is the one a reader recognises.
    let mut schemes = Vec::new();
    for scheme in ["https", "http"] {
        if let Some(state) = dfa.feed(dfa.start, format!("{scheme}://").as_bytes()) {
            schemes.push((scheme.to_owned(), state));
        }
    }
    for (scheme, state) in &schemes {
        Walk::new(&dfa, scheme, *state, hints, &mut budget).run()?;
    }
    let all = dfa.schemes(&mut budget)?;
    for (scheme, state) in all {
        if scheme == "https" || scheme == "http" {
            continue;
        }
        Walk::new(&dfa, &scheme, state, hints, &mut budget).run()?;
    }
    Ok(())
}

struct Dfa {
    dfa: dense::DFA<Vec<u32>>,
    start: StateID,
}

impl Dfa {
    fn build(hir: &Hir) -> Result<Self, Unsafe> {
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .nfa_size_limit(Some(DFA_BYTES))
                    .which_captures(thompson::WhichCaptures::None),
            )
            .build_from_hir(hir)
            .map_err(|_| Unsafe::TooComplex)?;
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .start_kind(StartKind::Anchored)
                    .dfa_size_limit(Some(DFA_BYTES))
                    .determinize_size_limit(Some(DFA_BYTES)),
            )
            .build_from_nfa(&nfa)
            .map_err(|_| Unsafe::TooComplex)?;
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .map_err(|_| Unsafe::TooComplex)?;
        Ok(Self { dfa, start })
    }

    fn step(&self, state: StateID, byte: u8) -> Option<StateID> {
        let next = self.dfa.next_state(state, byte);
        (!self.dfa.is_dead_state(next) && !self.dfa.is_quit_state(next)).then_some(next)
    }

    fn feed(&self, mut state: StateID, bytes: &[u8]) -> Option<StateID> {
        for &b in bytes {
            state = self.step(state, b)?;
        }
        Some(state)
    }

    /// Whether the input read so far, ending here, matches.
    fn accepts(&self, state: StateID) -> bool {
        self.dfa.is_match_state(self.dfa.next_eoi_state(state))
    }

    fn matches(&self, input: &[u8]) -> bool {
        self.feed(self.start, input)
            .is_some_and(|s| self.accepts(s))
    }

    /// Every scheme the regex can start an origin with, and the state after
    /// its `://`.
    fn schemes(&self, budget: &mut usize) -> Result<Vec<(String, StateID)>, Unsafe> {
        let mut found = Vec::new();
        let mut stack = vec![(String::new(), self.start)];
        while let Some((prefix, state)) = stack.pop() {
            spend(budget)?;
            if !prefix.is_empty() {
                if let Some(after) = self.feed(state, b"://") {
                    found.push((prefix.clone(), after));
                    if found.len() > MAX_SCHEMES {
                        return Err(self.scheme_witness(&found));
                    }
                }
            }
            for &b in SCHEME_BYTES {
                if prefix.is_empty() && !b.is_ascii_lowercase() {
                    continue;
                }
                if let Some(next) = self.step(state, b) {
                    if prefix.len() == MAX_SCHEME_LEN {
                        return Err(self.scheme_witness(&found));
                    }
                    let mut longer = prefix.clone();
                    longer.push(char::from(b));
                    stack.push((longer, next));
                }
            }
        }
        Ok(found)
    }

    fn scheme_witness(&self, found: &[(String, StateID)]) -> Unsafe {
        let mut tried = vec!["evil".to_owned()];
        tried.extend(found.iter().map(|(s, _)| s.clone()));
        let witness = tried
            .iter()
            .find_map(|scheme| {
                let state = self.feed(self.start, format!("{scheme}://").as_bytes())?;
                Some(format!("{scheme}://{}", self.shortest_completion(state)?))
            })
            .unwrap_or_else(|| "evil://attacker".to_owned());
        Unsafe::Reaches {
            witness,
            why: "it matches origins of any scheme: spell the scheme out (\"https://\")".to_owned(),
        }
    }

    /// The shortest host and port that complete an origin from `state`.
    fn shortest_completion(&self, state: StateID) -> Option<String> {
        let mut seen = HashSet::from([state]);
        let mut queue = std::collections::VecDeque::from([(state, String::new())]);
        while let Some((state, text)) = queue.pop_front() {
            if !text.is_empty() && self.accepts(state) {
                return Some(text);
            }
            if text.len() >= 255 {
                continue;
            }
            for &b in OPAQUE_HOST_BYTES.iter().chain(b":") {
                if let Some(next) = self.step(state, b) {
                    if seen.insert(next) {
                        let mut longer = text.clone();
                        longer.push(char::from(b));
                        queue.push_back((next, longer));
                    }
                }
            }
        }
        None
    }

    /// The states reachable from `from` on `bytes` from which `close` can
    /// still end a host, or `None` when the automaton can loop among them
    /// (it then matches infinitely many hosts).
    fn productive(
        &self,
        from: StateID,
        bytes: &[u8],
        close: u8,
        budget: &mut usize,
    ) -> Result<Option<HashSet<StateID>>, Unsafe> {
        let mut states = vec![from];
        let mut seen = HashSet::from([from]);
        let mut i = 0;
        while i < states.len() {
            spend(budget)?;
            for &b in bytes {
                if let Some(next) = self.step(states[i], b) {
                    if seen.insert(next) {
                        states.push(next);
                    }
                }
            }
            i += 1;
        }
        // The states a host can still end from.
        let mut productive: HashSet<StateID> = states
            .iter()
            .copied()
            .filter(|&s| self.step(s, close).and_then(|c| self.host_end(c)).is_some())
            .collect();
        loop {
            spend(budget)?;
            let more: Vec<StateID> = states
                .iter()
                .copied()
                .filter(|s| !productive.contains(s))
                .filter(|&s| {
                    bytes
                        .iter()
                        .any(|&b| self.step(s, b).is_some_and(|n| productive.contains(&n)))
                })
                .collect();
            if more.is_empty() {
                break;
            }
            productive.extend(more);
        }
        // Depth-first colouring over the productive states: a state met
        // again while on the path closes a loop.
        let mut on_path = HashSet::new();
        let mut done = HashSet::new();
        let mut stack = vec![(from, 0usize)];
        on_path.insert(from);
        while let Some((state, next_byte)) = stack.pop() {
            spend(budget)?;
            if next_byte == bytes.len() {
                on_path.remove(&state);
                done.insert(state);
                continue;
            }
            stack.push((state, next_byte + 1));
            if let Some(next) = self.step(state, bytes[next_byte]) {
                if !productive.contains(&next) {
                    continue;
                }
                if on_path.contains(&next) {
                    return Ok(None);
                }
                if !done.contains(&next) {
                    on_path.insert(next);
                    stack.push((next, 0));
                }
            }
        }
        Ok(Some(productive))
    }

    /// How an origin can end after a host that ends in `state`: `""` (no
    /// port) or `":digits"`, if at all.
    fn host_end(&self, state: StateID) -> Option<String> {
        if self.accepts(state) {
            return Some(String::new());
        }
        let colon = self.step(state, b':')?;
        // Breadth first over (state, digits so far): one visit per state and
        // length, so `[0-9]*` costs 5 × its states, not 10^5 strings.
        let mut seen = HashSet::new();
        let mut layer = vec![(colon, String::from(":"))];
        while !layer.is_empty() {
            let mut next_layer = Vec::new();
            for (state, port) in layer {
                if port.len() > 1 && self.accepts(state) {
                    return Some(port);
                }
                if port.len() > 5 {
                    continue;
                }
                for b in b'0'..=b'9' {
                    if port.len() == 1 && b == b'0' {
                        continue;
                    }
                    if let Some(next) = self.step(state, b) {
                        if seen.insert((next, port.len())) {
                            let mut longer = port.clone();
                            longer.push(char::from(b));
                            next_layer.push((next, longer));
                        }
                    }
                }
            }
            layer = next_layer;
        }
        None
    }
}

fn spend(budget: &mut usize) -> Result<(), Unsafe> {
    *budget = budget.checked_sub(1).ok_or(Unsafe::TooComplex)?;
    Ok(())
}

const SCHEME_BYTES: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789+-.";
/// Bytes of a host of a special scheme, label bytes first and `.` last.
const HOST_BYTES: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_.";
/// Bytes of an opaque host (non-special schemes keep their case).
const OPAQUE_HOST_BYTES: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~";
const IPV6_BYTES: &[u8] = b"0123456789abcdef:.";

fn is_special(scheme: &str) -> bool {
    matches!(scheme, "http" | "https" | "ws" | "wss" | "ftp" | "file")
}

/// The hosts of one scheme.
struct Walk<'a> {
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
    fn new(
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

    fn run(mut self) -> Result<(), Unsafe> {
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
                                "it matches more than {MAX_SITES} {:?} origins: list the ones you trust exactly with allow_origin()",
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
        // `before[state * HOST_BYTES.len() + byte]`: the states that step to
        // `state` on `HOST_BYTES[byte]`.
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
        // Depth first over (states the host's beginning can be in, the end of
        // the host read so far, reversed).
        let mut stack = vec![(ends, Vec::<u8>::new())];
        while let Some((set, reversed)) = stack.pop() {
            spend(self.budget)?;
            let suffix: String = reversed.iter().rev().map(|&b| char::from(b)).collect();
            if set.contains(&0) && !suffix.is_empty() {
                match classify(&suffix) {
                    Host::Site(site) => self.site(site, &suffix)?,
                    Host::Loopback | Host::Invalid => {}
                    Host::Refused(why) if why == MDNS => return Err(self.refuse(&suffix, why)),
                    Host::Refused(why) => {
                        let fallback = self.origin(&suffix, &self.port);
                        let witness = self.stranger(&suffix);
                        return Err(if witness == fallback {
                            self.refuse(&suffix, why)
                        } else {
                            Unsafe::Reaches {
                                witness,
                                why: String::new(),
                            }
                        });
                    }
                }
            }
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
                    if suffix.is_empty() || suffix.starts_with('.') || !fits_dot(&suffix) {
                        continue;
                    }
                    match anchor(&suffix) {
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
                } else if !fits(&suffix, b) {
                    continue;
                }
                let mut longer = reversed.clone();
                longer.push(b);
                stack.push((prev, longer));
            }
        }
        Ok(())
    }
}

/// Whether a host end can take one more byte `b` in front and still be part
/// of a host a browser sends: labels of at most 63 bytes, names of at most
/// 253, and a numeric last label only in a dotted IPv4 address.
fn fits(suffix: &str, b: u8) -> bool {
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
fn fits_dot(suffix: &str) -> bool {
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
enum Anchor {
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

fn anchor(suffix: &str) -> Anchor {
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

const MDNS: &str =
    "it matches \".local\" names, which any device on the local network can answer for";

/// A whole host, classified.
enum Host {
    /// Not a host browsers send.
    Invalid,
    Loopback,
    Site(Site),
    Refused(String),
}

fn classify(host: &str) -> Host {
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

#[cfg(test)]
mod tests {
    use super::*;
    use regex_syntax::hir::Look;

    fn verdict(expr: &str) -> Result<(), Unsafe> {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(expr)
            .expect("parses");
        check(
            &Hir::concat(vec![Hir::look(Look::Start), hir, Hir::look(Look::End)]),
            &[],
        )
    }

    /// `ck`, `er`, `fk`, `jm`, `mm`, `np`, `pg` have no rule of their own,
    /// only `*.ck` (and so on): every name two labels below them is a
    /// stranger's registrable domain.
    #[test]
    fn a_top_level_domain_known_only_through_a_wildcard_rule_is_not_private() {
        for (expr, witness) in [
            (r"https://[a-z0-9-]+\.co\.ck", "https://evil.co.ck"),
            (r"https://(?:[a-z]+\.)+ck", ".ck"),
            (r"https://[a-z0-9-]+\.com\.er", ".com.er"),
            (r"https://[a-z]+\.ck", ".ck"),
        ] {
            match verdict(expr) {
                Err(Unsafe::Reaches { witness: w, .. }) => {
                    assert!(w.ends_with(witness) || w == witness, "{expr}: {w}");
                }
                other => panic!("{expr}: {other:?}"),
            }
        }
        // The exception `!www.ck` is a registrable domain; names below a
        // registrable domain and unlisted top-level domains stay owned.
        for expr in [
            r"https://[a-z]+\.www\.ck",
            r"https://[a-z0-9-]+\.example\.co\.ck",
            r"https://[a-z0-9-]+\.internal",
        ] {
            assert_eq!(verdict(expr), Ok(()), "{expr}");
        }
    }
}

//! A credentialed origin regex that builds reaches only origins a stranger
//! cannot claim — checked against an oracle independent of the analysis.
//!
//! Origin-like regexes are generated as syntax trees from a small grammar
//! (schemes, literal labels, escaped dots, classes of at least 17 members
//! under repetition, `.*`, alternations, optional groups, ports, stray `)`
//! and `|`) and built with credentials. Whenever one builds, strings are
//! sampled from the tree by random expansion, each byte marked as coming from
//! a literal or from a class. Every sample the built policy allows must have
//! a host that is
//!
//! - (a) `localhost`, under `.localhost`, or a loopback IP literal;
//! - (b) under a top-level domain the Public Suffix List does not know, other
//!   than `local`;
//! - (c) at or under a registrable domain whose every byte came from a
//!   literal (a class has at least 17 members, so a class byte in the
//!   registrable domain means more than 16 of them), at most 16 per scheme;
//! - (d) one of at most 16 IP literals or opaque hosts per scheme;
//!
//! judged by the `publicsuffix` crate, not by the library's own list code.
//! Allowed samples are then mutated into strangers' origins (the registrable
//! label replaced by `evil`, prefixed with `evil`, `.evil.io` appended), which
//! the policy must refuse unless the oracle judges the mutation owned.
#![cfg(feature = "regex")]

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use http::Request;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use publicsuffix::Psl;
use tower_cors::{CorsPolicy, IssueKind, Origin};

const LIST_TEXT: &str = include_str!("../../data/public_suffix_list.dat");

fn list() -> &'static publicsuffix::List {
    static LIST: OnceLock<publicsuffix::List> = OnceLock::new();
    LIST.get_or_init(|| LIST_TEXT.parse().expect("the embedded list parses"))
}

/// The top-level domains the list knows: the last label of every rule
/// (`ck` has no rule of its own, only `*.ck` and `!www.ck`).
fn known_tlds() -> &'static BTreeSet<&'static str> {
    static TLDS: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    TLDS.get_or_init(|| {
        LIST_TEXT
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|rule| !rule.starts_with("//"))
            .filter_map(|rule| rule.rsplit('.').next())
            .collect()
    })
}

// ---------------------------------------------------------------------------
// The grammar.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// `[a-z]`: 26 members.
    Lower,
    /// `[a-z0-9-]`: 37 members.
    Label,
    /// `[^/]`: 255 members.
    NotSlash,
    /// `.`: every byte but `\n`; only under repetition.
    Dot,
    /// `[0-9]`: only in ports, never in a host.
    Digit,
}

impl Class {
    fn render(self) -> &'static str {
        match self {
            Class::Lower => "[a-z]",
            Class::Label => "[a-z0-9-]",
            Class::NotSlash => "[^/]",
            Class::Dot => ".",
            Class::Digit => "[0-9]",
        }
    }

    fn contains(self, b: u8) -> bool {
        match self {
            Class::Lower => b.is_ascii_lowercase(),
            Class::Label => b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-',
            Class::NotSlash => b != b'/',
            Class::Dot => b != b'\n',
            Class::Digit => b.is_ascii_digit(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rep {
    Star,
    Plus,
    Opt,
    Range(u8, u8),
}

impl Rep {
    fn render(self) -> String {
        match self {
            Rep::Star => "*".into(),
            Rep::Plus => "+".into(),
            Rep::Opt => "?".into(),
            Rep::Range(lo, hi) => format!("{{{lo},{hi}}}"),
        }
    }
}

#[derive(Clone, Debug)]
enum Node {
    /// Literal text; `.` is rendered escaped.
    Lit(&'static str),
    Class(Class),
    Rep(Box<Node>, Rep),
    Cat(Vec<Node>),
    /// Rendered as a group, except at the top.
    Alt(Vec<Node>),
    /// A `)` that closes nothing.
    StrayParen,
}

fn lit(s: &'static str) -> Node {
    Node::Lit(s)
}

fn rep(node: Node, r: Rep) -> Node {
    Node::Rep(Box::new(node), r)
}

impl Node {
    fn render(&self, top: bool, out: &mut String) {
        match self {
            Node::Lit(s) => {
                for c in s.chars() {
                    if c == '.' {
                        out.push_str(r"\.");
                    } else {
                        out.push(c);
                    }
                }
            }
            Node::Class(c) => out.push_str(c.render()),
            Node::Rep(inner, r) => {
                let single = match &**inner {
                    Node::Class(_) => true,
                    Node::Lit(s) => s.len() == 1 && *s != ".",
                    _ => false,
                };
                if single {
                    inner.render(false, out);
                } else {
                    out.push_str("(?:");
                    inner.render(false, out);
                    out.push(')');
                }
                out.push_str(&r.render());
            }
            Node::Cat(parts) => {
                for p in parts {
                    p.render(false, out);
                }
            }
            Node::Alt(branches) => {
                if !top {
                    out.push('(');
                }
                for (i, b) in branches.iter().enumerate() {
                    if i > 0 {
                        out.push('|');
                    }
                    b.render(false, out);
                }
                if !top {
                    out.push(')');
                }
            }
            Node::StrayParen => out.push(')'),
        }
    }

    fn has_stray_paren(&self) -> bool {
        match self {
            Node::StrayParen => true,
            Node::Rep(inner, _) => inner.has_stray_paren(),
            Node::Cat(parts) | Node::Alt(parts) => parts.iter().any(Node::has_stray_paren),
            Node::Lit(_) | Node::Class(_) => false,
        }
    }

    /// One string of the regex's language, each byte marked `true` when it
    /// came from a literal.
    fn sample(&self, rng: &mut Rng, out: &mut Vec<(u8, bool)>) {
        match self {
            Node::Lit(s) => out.extend(s.bytes().map(|b| (b, true))),
            Node::Class(c) => out.push((class_byte(*c, rng), false)),
            Node::Rep(inner, r) => {
                // A class under repetition sometimes spells a whole chunk a
                // stranger would choose.
                if let Node::Class(c) = **inner {
                    if matches!(r, Rep::Star | Rep::Plus) && rng.below(3) == 0 {
                        let fitting: Vec<&str> = CHUNKS
                            .iter()
                            .copied()
                            .filter(|chunk| {
                                !(chunk.is_empty() && *r == Rep::Plus)
                                    && chunk.bytes().all(|b| c.contains(b))
                            })
                            .collect();
                        if !fitting.is_empty() {
                            let chunk = fitting[rng.below(fitting.len())];
                            out.extend(chunk.bytes().map(|b| (b, false)));
                            return;
                        }
                    }
                }
                let (lo, hi) = match r {
                    Rep::Star => (0, 3),
                    Rep::Plus => (1, 3),
                    Rep::Opt => (0, 1),
                    Rep::Range(lo, hi) => (usize::from(*lo), usize::from(*hi)),
                };
                for _ in 0..lo + rng.below(hi - lo + 1) {
                    inner.sample(rng, out);
                }
            }
            Node::Cat(parts) => {
                for p in parts {
                    p.sample(rng, out);
                }
            }
            Node::Alt(branches) => branches[rng.below(branches.len())].sample(rng, out),
            Node::StrayParen => {}
        }
    }
}

/// What a class under repetition may spell at once.
const CHUNKS: &[&str] = &[
    "",
    "evil",
    "evil.",
    "evil-",
    "app.",
    "x.y.",
    ".evil.io",
    "https://",
    "http://",
    "https://evil.",
    "example",
    "github",
    "s3.",
    "co.uk",
    "com",
    "127.0.0.1",
    "localhost",
    "local",
];

fn class_byte(c: Class, rng: &mut Rng) -> u8 {
    const HOSTISH: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-.";
    loop {
        let b = match c {
            Class::Lower => b'a' + rng.below(26) as u8,
            Class::Digit => b'0' + rng.below(10) as u8,
            _ if rng.below(8) != 0 => HOSTISH[rng.below(HOSTISH.len())],
            _ => 0x20 + rng.below(0x5f) as u8,
        };
        if c.contains(b) {
            return b;
        }
    }
}

/// A small deterministic generator for the sampling (xorshift64*).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

const LABELS: &[&str] = &[
    "app",
    "www",
    "example",
    "com",
    "org",
    "io",
    "co",
    "uk",
    "github",
    "amazonaws",
    "s3",
    "localhost",
    "internal",
    "local",
    "127",
    "0",
    "1",
    "api",
    "net",
    "test",
    "ck",
    "jp",
    "kawasaki",
    "city",
    "web",
];

/// Host ends a user would spell out.
const TAILS: &[&str] = &[
    "example.com",
    "example.co.uk",
    "example.org",
    "github.io",
    "app.github.io",
    "s3.amazonaws.com",
    "amazonaws.com",
    "localhost",
    "127.0.0.1",
    "internal",
    "local",
    "com",
    "io",
    "co.uk",
    "co.ck",
    "kawasaki.jp",
    "city.kawasaki.jp",
    "web.app",
    "test",
    "10.0.0.1",
    "192.168.1.10",
];

fn label() -> impl Strategy<Value = Node> {
    prop::sample::select(LABELS).prop_map(lit)
}

fn host_class() -> impl Strategy<Value = Class> {
    prop_oneof![
        Just(Class::Lower),
        Just(Class::Label),
        Just(Class::NotSlash)
    ]
}

fn any_rep() -> impl Strategy<Value = Rep> {
    prop_oneof![
        Just(Rep::Star),
        Just(Rep::Plus),
        Just(Rep::Opt),
        Just(Rep::Range(1, 3))
    ]
}

/// A class (or `.`) under repetition.
fn open_part() -> impl Strategy<Value = Node> {
    prop_oneof![
        3 => (host_class(), any_rep()).prop_map(|(c, r)| rep(Node::Class(c), r)),
        1 => prop_oneof![Just(Rep::Star), Just(Rep::Plus)].prop_map(|r| rep(Node::Class(Class::Dot), r)),
    ]
}

/// One label-ish piece of a host.
fn piece() -> impl Strategy<Value = Node> {
    prop_oneof![
        4 => label(),
        4 => open_part(),
        2 => prop::collection::vec(label(), 2..=3).prop_map(Node::Alt),
        2 => (open_part(), label()).prop_map(|(o, l)| Node::Cat(vec![o, l])),
        1 => (label(), open_part()).prop_map(|(o, l)| Node::Alt(vec![o, l])),
    ]
}

/// A host end: literal labels, sometimes one of them opened.
fn tail() -> impl Strategy<Value = Node> {
    prop_oneof![
        6 => prop::sample::select(TAILS).prop_map(lit),
        2 => (label(), prop::collection::vec(label(), 2..=3))
            .prop_map(|(l, tlds)| Node::Cat(vec![l, lit("."), Node::Alt(tlds)])),
        1 => (label(), open_part()).prop_map(|(l, o)| Node::Cat(vec![l, lit("."), o])),
        1 => prop::collection::vec(label(), 1..=3).prop_map(|ls| {
            let mut parts = Vec::new();
            for (i, l) in ls.into_iter().enumerate() {
                if i > 0 {
                    parts.push(lit("."));
                }
                parts.push(l);
            }
            Node::Cat(parts)
        }),
    ]
}

/// Pieces before the tail, each followed by `\.` (or, rarely, nothing),
/// some in optional groups.
fn host() -> impl Strategy<Value = Node> {
    let prefix = prop::collection::vec((piece(), 0..10u8, 0..6u8), 0..=2);
    (prefix, tail()).prop_map(|(prefix, tail)| {
        let mut parts = Vec::new();
        for (p, sep, optional) in prefix {
            let mut unit = vec![p];
            if sep != 0 {
                unit.push(lit("."));
            }
            let unit = Node::Cat(unit);
            parts.push(if optional == 0 {
                rep(unit, Rep::Opt)
            } else {
                unit
            });
        }
        parts.push(tail);
        Node::Cat(parts)
    })
}

fn scheme() -> impl Strategy<Value = Node> {
    prop_oneof![
        4 => Just(lit("https://")),
        2 => Just(lit("http://")),
        2 => Just(Node::Cat(vec![lit("http"), rep(lit("s"), Rep::Opt), lit("://")])),
        1 => Just(Node::Alt(vec![lit("https://"), lit("http://")])),
        1 => Just(lit("capacitor://")),
        1 => Just(Node::Cat(vec![rep(Node::Class(Class::Lower), Rep::Plus), lit("://")])),
        1 => Just(rep(Node::Class(Class::Dot), Rep::Star)),
    ]
}

fn port() -> impl Strategy<Value = Node> {
    let digits = |r| Node::Cat(vec![lit(":"), rep(Node::Class(Class::Digit), r)]);
    prop_oneof![
        6 => Just(Node::Cat(vec![])),
        1 => Just(lit(":8080")),
        2 => Just(rep(digits(Rep::Plus), Rep::Opt)),
        1 => Just(rep(digits(Rep::Range(2, 5)), Rep::Opt)),
        1 => Just(rep(Node::Class(Class::Dot), Rep::Star)),
    ]
}

fn origin() -> impl Strategy<Value = Node> {
    (scheme(), host(), port()).prop_map(|(s, h, p)| Node::Cat(vec![s, h, p]))
}

/// The whole regex: one origin or an alternation of two, occasionally with
/// a stray `)` or an empty alternative (a stray `|`).
fn regex() -> impl Strategy<Value = Node> {
    let body = prop_oneof![
        8 => origin(),
        1 => (origin(), origin()).prop_map(|(a, b)| Node::Alt(vec![a, b])),
    ];
    (body, 0..30u8).prop_map(|(body, stray)| match (stray, body) {
        (0, Node::Cat(mut parts)) => {
            let at = parts.len() / 2;
            parts.insert(at, Node::StrayParen);
            Node::Cat(parts)
        }
        (1, body) => Node::Alt(vec![body, lit("")]),
        (2, body) => Node::Alt(vec![lit(""), body]),
        (3, Node::Cat(mut parts)) => {
            // An empty alternative inside the host: `(?:…|)`.
            let host = parts.remove(1);
            parts.insert(1, Node::Alt(vec![host, lit("")]));
            Node::Cat(parts)
        }
        (_, body) => body,
    })
}

// ---------------------------------------------------------------------------
// The oracle.

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Owner {
    Loopback,
    Private,
    Domain(String),
    Literal(String),
}

fn is_special(scheme: &str) -> bool {
    matches!(scheme, "http" | "https" | "ws" | "wss" | "ftp" | "file")
}

/// Judges a host by (a)–(c); `literal[i]`: whether the host's byte `i` came
/// from a literal (all `true` for a host nobody sampled).
fn judge_name(host: &str, literal: &[bool]) -> Result<Owner, String> {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let ip: std::net::Ipv6Addr = v6.parse().map_err(|_| format!("bad IPv6 {host}"))?;
        return Ok(if ip.is_loopback() {
            Owner::Loopback
        } else {
            Owner::Literal(host.to_owned())
        });
    }
    if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
        return Ok(if ip.is_loopback() {
            Owner::Loopback
        } else {
            Owner::Literal(host.to_owned())
        });
    }
    if host == "localhost" || host.ends_with(".localhost") {
        return Ok(Owner::Loopback);
    }
    let tld = host.rsplit('.').next().unwrap_or(host);
    if tld == "local" {
        return Err(format!("{host} is an mDNS name"));
    }
    if !known_tlds().contains(tld) {
        return Ok(Owner::Private);
    }
    let domain = list()
        .domain(host.as_bytes())
        .ok_or_else(|| format!("{host} is a public suffix"))?;
    let domain = std::str::from_utf8(domain.as_bytes()).expect("ASCII");
    let start = host.len() - domain.len();
    if let Some(i) = literal[start..].iter().position(|&l| !l) {
        return Err(format!(
            "byte {:?} of the registrable domain {domain} came from a class",
            char::from(host.as_bytes()[start + i])
        ));
    }
    Ok(Owner::Domain(domain.to_owned()))
}

/// Judges an origin's host by (a)–(d).
fn judge(scheme: &str, host: &str, literal: &[bool]) -> Result<Owner, String> {
    match judge_name(host, literal) {
        Ok(owner) => Ok(owner),
        // An opaque host of a non-special scheme spelled out in full.
        Err(_) if !is_special(scheme) && literal.iter().all(|&l| l) => {
            Ok(Owner::Literal(host.to_owned()))
        }
        Err(why) => Err(why),
    }
}

fn allows(policy: &CorsPolicy, origin: &str) -> bool {
    let Ok(req) = Request::get("/api/me").header("origin", origin).body(()) else {
        return false;
    };
    policy.evaluate(&req.into_parts().0).is_allowed()
}

/// Foreign origins next to an allowed one.
fn mutations(scheme: &str, host: &str, port: Option<u16>, owner: &Owner) -> Vec<String> {
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    let mut hosts = Vec::new();
    if !matches!(owner, Owner::Literal(_)) || !host.starts_with('[') {
        hosts.push(format!("{host}.evil.io"));
    }
    if let Owner::Domain(domain) = owner {
        let start = host.len() - domain.len();
        let (label, suffix) = domain
            .split_once('.')
            .expect("a registrable domain has a dot");
        hosts.push(format!("{}evil.{suffix}", &host[..start]));
        hosts.push(format!("{}evil{label}.{suffix}", &host[..start]));
        hosts.push(format!("evil{domain}"));
    }
    hosts
        .into_iter()
        .map(|h| format!("{scheme}://{h}{port}"))
        .collect()
}

#[derive(Debug, Default)]
struct Counts {
    regexes: u32,
    built: u32,
    refused: u32,
    stray_paren: u32,
    samples: u32,
    parsed: u32,
    checked: u32,
    by_owner: BTreeMap<&'static str, u32>,
    mutations: u32,
    mutations_refused: u32,
    mutations_owned: u32,
}

fn run_case(tree: &Node, seed: u64, counts: &mut Counts) -> Result<(), TestCaseError> {
    let mut text = String::new();
    tree.render(true, &mut text);
    counts.regexes += 1;
    let built = CorsPolicy::builder()
        .allow_origin_regex(&text)
        .allow_credentials(true)
        .build();
    let policy = match built {
        Ok(policy) => policy,
        Err(e) => {
            counts.refused += 1;
            prop_assert!(!e.issues().is_empty(), "{text}: error without issues");
            prop_assert!(
                e.issues()
                    .iter()
                    .all(|i| i.kind() == IssueKind::InvalidRegex),
                "{text}: {e}"
            );
            prop_assert!(!e.to_string().is_empty(), "{text}: empty message");
            return Ok(());
        }
    };
    prop_assert!(
        !tree.has_stray_paren(),
        "{text}: a stray ')' built with credentials"
    );
    counts.built += 1;
    let mut rng = Rng::new(seed);
    let mut per_scheme: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut owned_domains = BTreeSet::new();
    let mut owned_literals = BTreeSet::new();
    let mut allowed = Vec::new();
    for _ in 0..40 {
        let mut sample = Vec::new();
        tree.sample(&mut rng, &mut sample);
        counts.samples += 1;
        let bytes: Vec<u8> = sample.iter().map(|&(b, _)| b).collect();
        let Ok(origin_text) = String::from_utf8(bytes) else {
            continue;
        };
        let Some(origin) = Origin::parse(&origin_text) else {
            continue;
        };
        counts.parsed += 1;
        // A string of the regex's language in browser form is allowed.
        prop_assert!(
            allows(&policy, &origin_text),
            "{text} does not allow its own {origin_text}"
        );
        counts.checked += 1;
        let start = origin.scheme().len() + 3;
        let host = origin.host();
        let literal: Vec<bool> = sample[start..start + host.len()]
            .iter()
            .map(|&(_, l)| l)
            .collect();
        let owner = judge(origin.scheme(), host, &literal).map_err(|why| {
            TestCaseError::fail(format!(
                "{text} builds with credentials and allows {origin_text}, which a stranger can claim: {why}"
            ))
        })?;
        let (domains, literals) = per_scheme.entry(origin.scheme().to_owned()).or_default();
        match &owner {
            Owner::Loopback => *counts.by_owner.entry("loopback").or_default() += 1,
            Owner::Private => *counts.by_owner.entry("private TLD").or_default() += 1,
            Owner::Domain(d) => {
                *counts.by_owner.entry("registrable domain").or_default() += 1;
                domains.insert(d.clone());
                owned_domains.insert(d.clone());
            }
            Owner::Literal(l) => {
                *counts.by_owner.entry("IP or opaque").or_default() += 1;
                literals.insert(l.clone());
                owned_literals.insert(l.clone());
            }
        }
        prop_assert!(
            domains.len() <= 16 && literals.len() <= 16,
            "{text} reaches more than 16 sites: {domains:?} {literals:?}"
        );
        allowed.push((
            origin.scheme().to_owned(),
            host.to_owned(),
            origin.port(),
            owner,
        ));
    }
    for (scheme, host, port, owner) in &allowed {
        for foreign in mutations(scheme, host, *port, owner) {
            let Some(parsed) = Origin::parse(&foreign) else {
                continue;
            };
            counts.mutations += 1;
            if !allows(&policy, &foreign) {
                counts.mutations_refused += 1;
                continue;
            }
            let literal = vec![true; parsed.host().len()];
            let owned = match judge(scheme, parsed.host(), &literal) {
                Ok(Owner::Domain(d)) => owned_domains.contains(&d),
                Ok(Owner::Literal(l)) => owned_literals.contains(&l),
                Ok(_) => true,
                Err(_) => false,
            };
            prop_assert!(
                owned,
                "{text} builds with credentials and allows {foreign} (next to {scheme}://{host}), which a stranger can claim"
            );
            counts.mutations_owned += 1;
        }
    }
    Ok(())
}

#[test]
fn credentialed_regexes_that_build_reach_no_stranger() {
    // `PROPTEST_CASES=20000` for a longer search.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(600);
    let mut runner = TestRunner::new(Config {
        cases,
        max_shrink_iters: 4_000,
        failure_persistence: None,
        ..Config::default()
    });
    let counts = RefCell::new(Counts::default());
    let result = runner.run(&(regex(), any::<u64>()), |(tree, seed)| {
        let mut c = Counts::default();
        let outcome = run_case(&tree, seed, &mut c);
        if outcome.is_ok() {
            let mut all = counts.borrow_mut();
            all.regexes += c.regexes;
            all.built += c.built;
            all.refused += c.refused;
            all.stray_paren += u32::from(tree.has_stray_paren());
            all.samples += c.samples;
            all.parsed += c.parsed;
            all.checked += c.checked;
            for (k, v) in c.by_owner {
                *all.by_owner.entry(k).or_default() += v;
            }
            all.mutations += c.mutations;
            all.mutations_refused += c.mutations_refused;
            all.mutations_owned += c.mutations_owned;
        }
        outcome
    });
    if let Err(e) = result {
        panic!("property failed: {e}");
    }
    let c = counts.into_inner();
    println!("counts: {c:#?}");
    let share = |n: u32| f64::from(n) / f64::from(c.regexes);
    assert!(c.regexes >= cases, "{c:?}");
    assert!(share(c.built) >= 0.2, "too few regexes build: {c:?}");
    assert!(share(c.refused) >= 0.2, "too few regexes refused: {c:?}");
    assert!(
        c.stray_paren >= cases / 200,
        "too few stray parentheses: {c:?}"
    );
    assert!(
        c.checked >= cases * 5,
        "too few allowed samples judged: {c:?}"
    );
    for kind in [
        "loopback",
        "private TLD",
        "registrable domain",
        "IP or opaque",
    ] {
        assert!(
            c.by_owner.get(kind).copied().unwrap_or(0) >= cases / 20,
            "too few allowed samples of kind {kind}: {c:?}"
        );
    }
    assert!(c.mutations >= cases * 10, "too few mutations: {c:?}");
    assert!(
        c.mutations_refused >= c.mutations / 2,
        "mutations mostly owned, the check proves little: {c:?}"
    );
}

/// `ck` has no rule of its own, only `*.ck`, so
/// the analysis took it for an unlisted (private) top-level domain and let
/// every stranger's `*.co.ck` name through.
#[test]
fn regression_a_top_level_domain_known_only_through_a_wildcard_rule() {
    for expr in [r"https://[a-z0-9-]+\.co\.ck", r"https://(?:[a-z]+\.)+ck"] {
        let err = CorsPolicy::builder()
            .allow_origin_regex(expr)
            .allow_credentials(true)
            .build()
            .expect_err(expr);
        assert_eq!(err.issues()[0].kind(), IssueKind::InvalidRegex, "{expr}");
        assert!(err.to_string().contains(".ck"), "{expr}: {err}");
        let public = CorsPolicy::builder()
            .allow_origin_regex(expr)
            .build()
            .expect("builds without credentials");
        assert!(allows(&public, "https://evil.co.ck"), "{expr}");
        assert!(judge_name("evil.co.ck", &[false; 10]).is_err());
    }
}

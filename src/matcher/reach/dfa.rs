//! The anchored automaton of a regex, as the proof reads it: stepping and
//! feeding bytes, the schemes it can start an origin with, the ports a host
//! can end with, and whether a part of it can loop.

use std::collections::HashSet;

use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::Anchored;
use regex_syntax::hir::Hir;

use super::{
    spend, Unsafe, DFA_BYTES, MAX_SCHEMES, MAX_SCHEME_LEN, OPAQUE_HOST_BYTES, SCHEME_BYTES,
};

pub(super) struct Dfa {
    dfa: dense::DFA<Vec<u32>>,
    pub(super) start: StateID,
}

impl Dfa {
    pub(super) fn build(hir: &Hir) -> Result<Self, Unsafe> {
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

    pub(super) fn step(&self, state: StateID, byte: u8) -> Option<StateID> {
        let next = self.dfa.next_state(state, byte);
        (!self.dfa.is_dead_state(next) && !self.dfa.is_quit_state(next)).then_some(next)
    }

    pub(super) fn feed(&self, mut state: StateID, bytes: &[u8]) -> Option<StateID> {
        for &b in bytes {
            state = self.step(state, b)?;
        }
        Some(state)
    }

    /// Whether the input read so far, ending here, matches.
    fn accepts(&self, state: StateID) -> bool {
        self.dfa.is_match_state(self.dfa.next_eoi_state(state))
    }

    pub(super) fn matches(&self, input: &[u8]) -> bool {
        self.feed(self.start, input)
            .is_some_and(|s| self.accepts(s))
    }

    /// Every scheme the regex can start an origin with, and the state after
    /// its `://`.
    pub(super) fn schemes(&self, budget: &mut usize) -> Result<Vec<(String, StateID)>, Unsafe> {
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
    pub(super) fn productive(
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
    pub(super) fn host_end(&self, state: StateID) -> Option<String> {
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

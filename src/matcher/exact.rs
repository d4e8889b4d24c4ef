//! The exact-origin set: one contiguous byte arena and an open-addressing
//! index of `u32`s, 24 to 40 bytes per origin above the origin's own bytes
//! (`benches/origins_scale.rs`); a lookup is one hash and, almost always, one
//! probe.

use std::fmt;
use std::hash::Hasher;

use super::OriginHasher;

/// Canonical serialized origins, stored once each.
///
/// - `bytes` holds every origin back to back, in the order first added;
/// - `ends[i]` is where origin `i` ends in `bytes` (it starts where origin
///   `i - 1` ends);
/// - `slots` is an open-addressing table (linear probing, at most half full):
///   a slot is empty (`index == 0`) or holds `index = i + 1` and 32 bits of
///   the origin's hash, which also pick its first slot; a probe compares the
///   stored hash before touching the arena.
///
/// The answer's `Access-Control-Allow-Origin` value is the request's own
/// `Origin` value, cloned: on a hit its bytes are the configured origin's,
/// and a value read by hyper or h2 shares its buffer, so the clone only counts
/// a reference and allocates nothing. Keeping a precomputed header value per
/// origin instead cost a second copy of the origin, its shared buffer and a
/// 64-byte slot (about 270 bytes per origin above the origin's bytes).
///
/// `std`'s `HashSet<String>` holds a separate allocation per origin (52 bytes
/// above the origin's bytes at a million origins, plus the allocator's
/// rounding), is freed in a million calls (0.2 s instead of 12 ms, a stall
/// when a reload drops a policy) and its lookup is one more out-of-line call
/// on the hottest path of the layer; this lookup is a few instructions that
/// inline into it. Keys come only from the configuration, so a request can
/// neither grow the table nor lengthen a probe sequence, and a lookup always
/// ends at an empty slot (there is always one).
///
/// Offsets and indexes are `u32`: an origin that would take the arena past
/// 4 GiB (about 90 million origins of 45 bytes) is not added, so it is
/// refused, never allowed by mistake.
#[derive(Clone)]
pub(crate) struct ExactSet {
    bytes: Vec<u8>,
    ends: Vec<u32>,
    slots: Box<[Slot]>,
    /// The longest origin's length: a longer value is refused without hashing.
    max_len: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    hash: u32,
    /// `0`: empty; otherwise the origin's index plus one.
    index: u32,
}

/// The origins, not the table: a policy's `Debug` stays readable.
impl fmt::Debug for ExactSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

/// Slots of an empty set; a power of two.
const MIN_SLOTS: usize = 8;

impl Default for ExactSet {
    fn default() -> Self {
        Self {
            bytes: Vec::new(),
            ends: Vec::new(),
            slots: vec![Slot::default(); MIN_SLOTS].into_boxed_slice(),
            max_len: 0,
        }
    }
}

/// 32 bits of the origin hash, the low and the high halves folded.
#[inline(always)]
fn hash(bytes: &[u8]) -> u32 {
    let mut h = OriginHasher::default();
    h.write(bytes);
    let h = h.finish();
    (h ^ (h >> 32)) as u32
}

impl ExactSet {
    /// Adds an origin; one already present is not added again.
    pub(crate) fn insert(&mut self, key: &[u8]) {
        let h = hash(key);
        if key.len() <= self.max_len && self.find(key, h) {
            return;
        }
        let (Ok(index), Some(end)) = (
            u32::try_from(self.ends.len() + 1),
            self.bytes
                .len()
                .checked_add(key.len())
                .and_then(|end| u32::try_from(end).ok()),
        ) else {
            return;
        };
        if (self.ends.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        grow_by_quarter(&mut self.bytes, key.len());
        grow_by_quarter(&mut self.ends, 1);
        self.bytes.extend_from_slice(key);
        self.ends.push(end);
        self.max_len = self.max_len.max(key.len());
        place(&mut self.slots, Slot { hash: h, index });
    }

    /// Doubles the table and places every origin again (their hashes are in
    /// the slots: nothing is hashed twice).
    fn grow(&mut self) {
        let mut grown = vec![Slot::default(); self.slots.len() * 2].into_boxed_slice();
        for slot in self.slots.iter().filter(|s| s.index != 0) {
            place(&mut grown, *slot);
        }
        self.slots = grown;
    }

    /// The origins, in the order first added.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .filter_map(|(start, &end)| self.bytes.get(start as usize..end as usize))
    }

    /// Whether `key` is one of the origins.
    #[inline(always)]
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        // Longer than every origin (a hostile value, say): no hash needed.
        if key.len() > self.max_len {
            return false;
        }
        self.find(key, hash(key))
    }

    #[inline(always)]
    fn find(&self, key: &[u8], h: u32) -> bool {
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        // At most half the slots are full, so the walk meets an empty one.
        loop {
            let Some(slot) = self.slots.get(i) else {
                return false;
            };
            if slot.index == 0 {
                return false;
            }
            if slot.hash == h && self.origin(slot.index) == Some(key) {
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    /// The bytes of the origin in a slot holding `index`.
    #[inline(always)]
    fn origin(&self, index: u32) -> Option<&[u8]> {
        let i = (index as usize).checked_sub(1)?;
        let start = match i.checked_sub(1) {
            Some(before) => *self.ends.get(before)? as usize,
            None => 0,
        };
        let end = *self.ends.get(i)? as usize;
        self.bytes.get(start..end)
    }
}

/// Makes room for `more` items, growing by a quarter rather than doubling: a
/// large set then holds at most a quarter of spare room (doubling could leave
/// as much room spare as the origins take). Large blocks grow in place.
fn grow_by_quarter<T>(v: &mut Vec<T>, more: usize) {
    if v.capacity() - v.len() < more {
        v.reserve_exact(more.max(v.len() / 4).max(64));
    }
}

/// Puts `slot` in the first empty slot of its probe sequence.
fn place(slots: &mut [Slot], slot: Slot) {
    let mask = slots.len() - 1;
    let mut i = slot.hash as usize & mask;
    while slots[i].index != 0 {
        i = (i + 1) & mask;
    }
    slots[i] = slot;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_key_and_nothing_else() {
        let mut set = ExactSet::default();
        let keys: Vec<String> = (0..1000)
            .map(|i| format!("https://t{i}.example.com"))
            .collect();
        for k in &keys {
            set.insert(k.as_bytes());
            set.insert(k.as_bytes()); // duplicate: ignored
        }
        assert_eq!(set.ends.len(), 1000);
        assert_eq!(
            set.bytes.len(),
            keys.iter().map(String::len).sum::<usize>(),
            "each origin stored once"
        );
        assert!(set.slots.len() >= 2000);
        for k in &keys {
            assert!(set.contains(k.as_bytes()), "{k}");
        }
        for miss in [
            "https://t1000.example.com",
            "",
            "https://t1.example.co",
            "https://t1.example.comm",
            "https://t999.example.com.",
            "x",
        ] {
            assert!(!set.contains(miss.as_bytes()), "{miss}");
        }
        assert!(!ExactSet::default().contains(b"https://a.example"));
        assert!(!ExactSet::default().contains(b""));
    }

    #[test]
    fn iterates_first_occurrences_in_order() {
        let mut set = ExactSet::default();
        for k in [
            "https://b.example",
            "https://a.example",
            "https://b.example",
        ] {
            set.insert(k.as_bytes());
        }
        let got: Vec<&[u8]> = set.iter().collect();
        assert_eq!(got, [&b"https://b.example"[..], b"https://a.example"]);
    }

    /// Keys whose hashes collide in every bit the table uses still resolve:
    /// the probe compares bytes, not only hashes.
    #[test]
    fn colliding_hashes_compare_bytes() {
        let mut set = ExactSet::default();
        for k in ["https://a.example", "https://b.example"] {
            set.insert(k.as_bytes());
        }
        // Both origins stored under the same hash, in adjacent slots.
        let forced = Slot { hash: 3, index: 0 };
        let mut slots = vec![Slot::default(); MIN_SLOTS].into_boxed_slice();
        for index in [1, 2] {
            place(&mut slots, Slot { index, ..forced });
        }
        set.slots = slots;
        assert!(set.find(b"https://a.example", 3));
        assert!(set.find(b"https://b.example", 3));
        assert!(!set.find(b"https://c.example", 3));
    }

    #[test]
    fn longer_than_every_origin_is_refused() {
        let mut set = ExactSet::default();
        set.insert(b"https://a.example");
        assert_eq!(set.max_len, "https://a.example".len());
        assert!(!set.contains(&[b'a'; 1024]));
        assert!(!set.contains(b"https://a.example:1"));
    }
}

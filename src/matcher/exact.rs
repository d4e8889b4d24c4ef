//! The exact-origin set: one hash of the request's `Origin` bytes and, almost
//! always, one probe.

use std::hash::Hasher;

use http::HeaderValue;

use super::OriginHasher;

/// Canonical serialized origins with their precomputed
/// `Access-Control-Allow-Origin` value, in an open-addressing table (linear
/// probing, at most half full, each slot keeping its key's full hash).
///
/// `std`'s `HashMap` would do, but its lookup is one more out-of-line call on
/// the hottest path of the layer; this lookup is a few instructions that
/// inline into it. Keys come only from the configuration, so a request can
/// neither grow the table nor lengthen a probe sequence, and a lookup always
/// ends at an empty slot (there is always one).
#[derive(Debug, Clone)]
pub(crate) struct ExactSet {
    slots: Box<[Option<Slot>]>,
    len: usize,
}

#[derive(Debug, Clone)]
struct Slot {
    hash: u64,
    key: Box<[u8]>,
    value: HeaderValue,
}

impl Default for ExactSet {
    fn default() -> Self {
        Self {
            slots: vec![None; 4].into_boxed_slice(),
            len: 0,
        }
    }
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = OriginHasher::default();
    h.write(bytes);
    h.finish()
}

impl ExactSet {
    /// Adds an origin; a key already present keeps its first value.
    pub(crate) fn insert(&mut self, key: Box<[u8]>, value: HeaderValue) {
        if self.get(&key).is_some() {
            return;
        }
        if (self.len + 1) * 2 > self.slots.len() {
            let grown = vec![None; self.slots.len() * 2].into_boxed_slice();
            let old = std::mem::replace(&mut self.slots, grown);
            for slot in old.into_vec().into_iter().flatten() {
                self.place(slot);
            }
        }
        self.place(Slot {
            hash: hash(&key),
            key,
            value,
        });
        self.len += 1;
    }

    fn place(&mut self, slot: Slot) {
        let mask = self.slots.len() - 1;
        let mut i = slot.hash as usize & mask;
        while self.slots[i].is_some() {
            i = (i + 1) & mask;
        }
        self.slots[i] = Some(slot);
    }

    /// The value for `key`.
    #[inline(always)]
    pub(crate) fn get(&self, key: &[u8]) -> Option<&HeaderValue> {
        let h = hash(key);
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        // At most half the slots are full, so the walk meets an empty one.
        loop {
            match self.slots.get(i)? {
                None => return None,
                Some(s) if s.hash == h && *s.key == *key => return Some(&s.value),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }
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
        for (i, k) in keys.iter().enumerate() {
            set.insert(k.as_bytes().into(), HeaderValue::from(i));
            set.insert(k.as_bytes().into(), HeaderValue::from(0)); // duplicate: ignored
        }
        assert_eq!(set.len, 1000);
        assert!(set.slots.len() >= 2000);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(set.get(k.as_bytes()), Some(&HeaderValue::from(i)), "{k}");
        }
        for miss in [
            "https://t1000.example.com",
            "",
            "https://t1.example.co",
            "x",
        ] {
            assert_eq!(set.get(miss.as_bytes()), None, "{miss}");
        }
        assert_eq!(ExactSet::default().get(b"https://a.example"), None);
    }
}

//! Configuration-time list helpers, written so each compiles small into
//! every user's build: a sort through one instantiation of the standard
//! sort (every list is ordered by a `u64` key, stably, by sorting
//! `(key, position)` pairs and moving the items into that order; each
//! `sort_by_key` on another element type would compile another copy of the
//! whole algorithm), a join that is a plain loop, and the key that orders a
//! configuration's issues like its fields.

use crate::error::Issue;

/// Orders `items` by `key`, keeping the given order among equal keys.
pub(crate) fn sort_by_key<T>(items: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    let mut order: Vec<(u64, usize)> = Vec::with_capacity(items.len());
    for (at, item) in items.iter().enumerate() {
        order.push((key(item), at));
    }
    order.sort_unstable();
    let mut slots: Vec<Option<T>> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        slots.push(Some(item));
    }
    for &(_, at) in &order {
        if let Some(item) = slots[at].take() {
            items.push(item);
        }
    }
}

/// The items with `separator` between them (`[T]::join` compiles the
/// standard library's generic join for each element type).
pub(crate) fn join<S: AsRef<str>>(items: &[S], separator: &str) -> String {
    let mut out = String::new();
    for (at, item) in items.iter().enumerate() {
        if at > 0 {
            out.push_str(separator);
        }
        out.push_str(item.as_ref());
    }
    out
}

/// Where an issue goes in a list sorted like the fields, then by position:
/// issues of no setting (combinations) first or last.
pub(crate) fn issue_place(issue: &Issue, unplaced_first: bool) -> u64 {
    let (rank, index) = match (issue.setting(), unplaced_first) {
        (Some(setting), false) => (setting.rank(), issue.index().unwrap_or(0)),
        (Some(setting), true) => (setting.rank() + 1, issue.index().map_or(0, |i| i + 1)),
        (None, false) => (u32::MAX as usize, 0),
        (None, true) => (0, issue.index().map_or(0, |i| i + 1)),
    };
    let clamp = |n: usize| n.min(u32::MAX as usize) as u64;
    clamp(rank) << 32 | clamp(index)
}

#[cfg(test)]
mod tests {
    use super::{join, sort_by_key};

    #[test]
    fn joins_with_the_separator_between() {
        assert_eq!(join(&["a", "b", "c"], ", "), "a, b, c");
        assert_eq!(join(&["a".to_owned()], ", "), "a");
        assert_eq!(join::<&str>(&[], ", "), "");
    }

    #[test]
    fn orders_by_key_and_keeps_ties_in_place() {
        let mut items = vec![(3, 'a'), (1, 'b'), (3, 'c'), (0, 'd'), (1, 'e')];
        sort_by_key(&mut items, |&(k, _)| k);
        assert_eq!(items, [(0, 'd'), (1, 'b'), (1, 'e'), (3, 'a'), (3, 'c')]);
        let mut empty: Vec<u8> = Vec::new();
        sort_by_key(&mut empty, |&b| u64::from(b));
        assert!(empty.is_empty());
    }
}

//! The ASCII (`xn--`) form of a configured Unicode host name, for the
//! "did you mean" hint of a configuration error.
//!
//! Browsers send a Unicode host in the `Origin` header in the form the
//! WHATWG URL parser gives it: UTS 46 mapping (case folding, NFC/NFKC
//! normalization, removal of ignored characters), then RFC 3492 punycode
//! per label. Doing the mapping exactly takes Unicode tables (the `idna`
//! crate and ICU4X), which would be most of this crate's build cost for a
//! hint shown only when a configuration is wrong.
//!
//! So the hint is computed only for hosts on which the mapping is known to
//! be the identity after lowercasing: every non-ASCII character is a letter
//! or digit of a script block whose characters are already in NFC and have
//! no compatibility mapping (precomposed Latin, Greek, Cyrillic, Armenian,
//! Georgian, kana, CJK ideographs, Hangul syllables), lowercases to itself
//! and survives an uppercase/lowercase round trip (this leaves out `ß`, `ς`,
//! `ſ`, dotless `ı`, whose mapping differs between standards). For any other
//! host the error tells the user to write the `xn--` form the browser sends
//! instead of guessing one that might never match.

/// Why no `xn--` form is suggested for a host.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NoHint {
    /// A character outside the blocks this encoder can map without tables.
    NeedsMapping(char),
    /// A label already in `xn--` form mixed with Unicode characters, or a
    /// label whose encoding overflows.
    Invalid,
}

/// The ASCII form of a host that contains non-ASCII characters: each label
/// lowercased, and each non-ASCII label encoded as `xn--` + punycode.
pub(crate) fn host_to_ascii(host: &str) -> Result<String, NoHint> {
    let mut out = String::with_capacity(host.len() + 8);
    for (i, label) in host.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        if label.is_ascii() {
            out.push_str(&label.to_ascii_lowercase());
            continue;
        }
        let mut chars = Vec::with_capacity(label.len());
        for c in label.chars() {
            let lower = single_lowercase(c).ok_or(NoHint::NeedsMapping(c))?;
            if !lower.is_ascii() && !is_identity_mapped(lower) {
                return Err(NoHint::NeedsMapping(c));
            }
            chars.push(lower);
        }
        if chars.starts_with(&['x', 'n', '-', '-']) {
            return Err(NoHint::Invalid);
        }
        out.push_str("xn--");
        out.push_str(&encode(&chars).ok_or(NoHint::Invalid)?);
    }
    Ok(out)
}

/// The lowercase of `c` when it is a single character.
fn single_lowercase(c: char) -> Option<char> {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => Some(l),
        _ => None,
    }
}

/// Whether UTS 46 leaves the lowercase, non-ASCII `c` unchanged: a letter
/// or digit in a block without decompositions that NFC would change or
/// compatibility mappings, whose case round trip is the identity.
fn is_identity_mapped(c: char) -> bool {
    if !c.is_alphanumeric() || !in_plain_block(c) {
        return false;
    }
    let mut round_trip = c.to_uppercase().flat_map(char::to_lowercase);
    round_trip.next() == Some(c) && round_trip.next().is_none()
}

/// Blocks whose letters are precomposed (NFC-stable) and carry no
/// compatibility mapping, with their known exceptions removed.
fn in_plain_block(c: char) -> bool {
    matches!(
        u32::from(c),
        // Latin-1 letters, Latin Extended-A and -B, without ß and the
        // compatibility ligatures and digraphs (ĳ, ŀ, ŉ, ǆ, ǉ, ǌ, ǳ).
        0x00C0..=0x00DE
            | 0x00E0..=0x0131
            | 0x0134..=0x013E
            | 0x0141..=0x0148
            | 0x014A..=0x01C3
            | 0x01CD..=0x01F0
            | 0x01F4..=0x024F
            // Latin Extended Additional (Vietnamese), without ẚ..ẟ.
            | 0x1E00..=0x1E99
            | 0x1EA0..=0x1EFF
            // Greek letters with tonos and the basic alphabet.
            | 0x0386
            | 0x0388..=0x03CE
            // Cyrillic.
            | 0x0400..=0x0481
            | 0x048A..=0x04FF
            // Armenian letters, without the ligature և.
            | 0x0531..=0x0556
            | 0x0561..=0x0586
            // Georgian Mkhedruli.
            | 0x10D0..=0x10FA
            // Hiragana and Katakana letters (precomposed voiced forms).
            | 0x3041..=0x3096
            | 0x30A1..=0x30FA
            // CJK unified ideographs (extension A and the main block).
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            // Hangul syllables.
            | 0xAC00..=0xD7A3
    )
}

const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

/// RFC 3492 §6.1 bias adaptation.
fn adapt(delta: u32, num_points: u32, first_time: bool) -> u32 {
    let mut delta = if first_time { delta / DAMP } else { delta / 2 };
    delta += delta / num_points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (((BASE - T_MIN + 1) * delta) / (delta + SKEW))
}

/// RFC 3492 §5 digit value to its lowercase basic code point.
fn digit(d: u32) -> char {
    // d < 36 by construction: `t + (q - t) % (BASE - t)` and the final `q < t`.
    let d = d as u8;
    char::from(if d < 26 { b'a' + d } else { b'0' + (d - 26) })
}

/// RFC 3492 §6.3 encoding of `input` (without the `xn--` prefix); `None` on
/// overflow. Basic code points are copied as they are.
pub(crate) fn encode(input: &[char]) -> Option<String> {
    let mut out: String = input.iter().filter(|c| c.is_ascii()).collect();
    let basic = u32::try_from(out.len()).ok()?;
    let len = u32::try_from(input.len()).ok()?;
    if basic > 0 {
        out.push('-');
    }
    let mut n = INITIAL_N;
    let mut delta: u32 = 0;
    let mut bias = INITIAL_BIAS;
    let mut handled = basic;
    while handled < len {
        let m = input
            .iter()
            .map(|&c| u32::from(c))
            .filter(|&c| c >= n)
            .min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in input {
            let c = u32::from(c);
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 3492 §7.1 sample strings (the encoder is case-preserving for
    /// basic code points; the RFC's mixed-case annotations are dropped).
    const RFC_3492: &[(&str, &str)] = &[
        ("\u{644}\u{64A}\u{647}\u{645}\u{627}\u{628}\u{62A}\u{643}\u{644}\u{645}\u{648}\u{634}\u{639}\u{631}\u{628}\u{64A}\u{61F}", "egbpdaj6bu4bxfgehfvwxn"),
        ("\u{4ED6}\u{4EEC}\u{4E3A}\u{4EC0}\u{4E48}\u{4E0D}\u{8BF4}\u{4E2D}\u{6587}", "ihqwcrb4cv8a8dqg056pqjye"),
        ("\u{4ED6}\u{5011}\u{7232}\u{4EC0}\u{9EBD}\u{4E0D}\u{8AAA}\u{4E2D}\u{6587}", "ihqwctvzc91f659drss3x8bo0yb"),
        ("Pro\u{10D}prost\u{11B}nemluv\u{ED}\u{10D}esky", "Proprostnemluvesky-uyb24dma41a"),
        ("\u{5DC}\u{5DE}\u{5D4}\u{5D4}\u{5DD}\u{5E4}\u{5E9}\u{5D5}\u{5D8}\u{5DC}\u{5D0}\u{5DE}\u{5D3}\u{5D1}\u{5E8}\u{5D9}\u{5DD}\u{5E2}\u{5D1}\u{5E8}\u{5D9}\u{5EA}", "4dbcagdahymbxekheh6e0a7fei0b"),
        ("\u{92F}\u{939}\u{932}\u{94B}\u{917}\u{939}\u{93F}\u{928}\u{94D}\u{926}\u{940}\u{915}\u{94D}\u{92F}\u{94B}\u{902}\u{928}\u{939}\u{940}\u{902}\u{92C}\u{94B}\u{932}\u{938}\u{915}\u{924}\u{947}\u{939}\u{948}\u{902}", "i1baa7eci9glrd9b2ae1bj0hfcgg6iyaf8o0a1dig0cd"),
        ("\u{306A}\u{305C}\u{307F}\u{3093}\u{306A}\u{65E5}\u{672C}\u{8A9E}\u{3092}\u{8A71}\u{3057}\u{3066}\u{304F}\u{308C}\u{306A}\u{3044}\u{306E}\u{304B}", "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa"),
        ("\u{C138}\u{ACC4}\u{C758}\u{BAA8}\u{B4E0}\u{C0AC}\u{B78C}\u{B4E4}\u{C774}\u{D55C}\u{AD6D}\u{C5B4}\u{B97C}\u{C774}\u{D574}\u{D55C}\u{B2E4}\u{BA74}\u{C5BC}\u{B9C8}\u{B098}\u{C88B}\u{C744}\u{AE4C}", "989aomsvi5e83db1d2a355cv1e0vak1dwrv93d5xbh15a0dt30a5jpsd879ccm6fea98c"),
        ("\u{43F}\u{43E}\u{447}\u{435}\u{43C}\u{443}\u{436}\u{435}\u{43E}\u{43D}\u{438}\u{43D}\u{435}\u{433}\u{43E}\u{432}\u{43E}\u{440}\u{44F}\u{442}\u{43F}\u{43E}\u{440}\u{443}\u{441}\u{441}\u{43A}\u{438}", "b1abfaaepdrnnbgefbadotcwatmq2g4l"),
        ("Porqu\u{E9}nopuedensimplementehablarenEspa\u{F1}ol", "PorqunopuedensimplementehablarenEspaol-fmd56a"),
        ("T\u{1EA1}isaoh\u{1ECD}kh\u{F4}ngth\u{1EC3}ch\u{1EC9}n\u{F3}iti\u{1EBF}ngVi\u{1EC7}t", "TisaohkhngthchnitingVit-kjcr8268qyxafd2f1b9g"),
        ("3\u{5E74}B\u{7D44}\u{91D1}\u{516B}\u{5148}\u{751F}", "3B-ww4c5e180e575a65lsy2b"),
        ("\u{5B89}\u{5BA4}\u{5948}\u{7F8E}\u{6075}-with-SUPER-MONKEYS", "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"),
        ("Hello-Another-Way-\u{305D}\u{308C}\u{305E}\u{308C}\u{306E}\u{5834}\u{6240}", "Hello-Another-Way--fc4qua05auwb3674vfr0b"),
        ("\u{3072}\u{3068}\u{3064}\u{5C4B}\u{6839}\u{306E}\u{4E0B}2", "2-u9tlzr9756bt3uc0v"),
        ("Maji\u{3067}Koi\u{3059}\u{308B}5\u{79D2}\u{524D}", "MajiKoi5-783gue6qz075azm5e"),
        ("\u{30D1}\u{30D5}\u{30A3}\u{30FC}de\u{30EB}\u{30F3}\u{30D0}", "de-jg4avhby1noc0d"),
        ("\u{305D}\u{306E}\u{30B9}\u{30D4}\u{30FC}\u{30C9}\u{3067}", "d9juau41awczczp"),
        ("-> $1.00 <-", "-> $1.00 <--"),
    ];

    #[test]
    fn encodes_the_rfc_3492_samples() {
        for (decoded, encoded) in RFC_3492 {
            let chars: Vec<char> = decoded.chars().collect();
            assert_eq!(encode(&chars).as_deref(), Some(*encoded), "{decoded:?}");
        }
    }

    #[test]
    fn hosts_in_plain_blocks_get_their_xn_form() {
        for (host, ascii) in [
            ("bücher.example", "xn--bcher-kva.example"),
            ("BÜCHER.Example", "xn--bcher-kva.example"),
            ("münchen.de", "xn--mnchen-3ya.de"),
            ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
            ("例え.jp", "xn--r8jz45g.jp"),
            ("한국.kr", "xn--3e0b707e.kr"),
        ] {
            assert_eq!(host_to_ascii(host).as_deref(), Ok(ascii), "{host}");
        }
    }

    #[test]
    fn hosts_needing_unicode_mapping_get_no_guess() {
        for (host, c) in [
            ("straße.de", 'ß'),
            ("ﬁle.example", 'ﬁ'),
            ("ｅｘａｍｐｌｅ.com", 'ｅ'),
            ("e\u{301}cole.fr", '\u{301}'),
            ("a\u{200D}b.example", '\u{200D}'),
            ("example。com", '。'),
            ("ςοφία.gr", 'ς'),
            ("İstanbul.tr", 'İ'),
            ("שלום.example", 'ש'),
            ("\u{1F600}.example", '\u{1F600}'),
        ] {
            assert_eq!(host_to_ascii(host), Err(NoHint::NeedsMapping(c)), "{host}");
        }
        assert_eq!(
            host_to_ascii("xn--bcher-kva-ü.example"),
            Err(NoHint::Invalid)
        );
    }

    /// Characters from the blocks the hint accepts, plus ASCII.
    fn plain_char() -> impl Strategy<Value = char> {
        prop_oneof![
            proptest::char::range('a', 'z'),
            proptest::char::range('0', '9'),
            proptest::char::range('\u{C0}', '\u{24F}'),
            proptest::char::range('\u{386}', '\u{3CE}'),
            proptest::char::range('\u{400}', '\u{4FF}'),
            proptest::char::range('\u{1E00}', '\u{1EFF}'),
            proptest::char::range('\u{3041}', '\u{30FA}'),
            proptest::char::range('\u{4E00}', '\u{9FFF}'),
            proptest::char::range('\u{AC00}', '\u{D7A3}'),
        ]
    }

    proptest! {
        /// The encoder agrees with the `idna` crate's punycode on any input.
        #[test]
        fn encode_matches_idna(s in "\\PC{0,40}") {
            let chars: Vec<char> = s.chars().collect();
            prop_assert_eq!(encode(&chars), idna::punycode::encode(&chars));
        }

        /// Whenever a hint is given, it is what full UTS 46 processing (as
        /// browsers do it) gives.
        #[test]
        fn hint_matches_uts46(labels in proptest::collection::vec(
            proptest::collection::vec(plain_char(), 1..12), 1..4)
        ) {
            let host = labels
                .iter()
                .map(|l| l.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join(".");
            if let Ok(ascii) = host_to_ascii(&host) {
                prop_assert_eq!(Some(ascii), idna::domain_to_ascii(&host).ok(), "{}", host);
            }
        }
    }
}

//! The Fetch Standard's tables and the small algorithms that read them, transcribed from the
//! spec text (fetch.spec.whatwg.org, §2.2.1 "Methods" and §2.2.2 "Headers"; mimesniff §4.4
//! "Parsing a MIME type"; the WICG Private Network Access draft, §"Forbidden header names").
//!
//! Each list is a [`SpecList`]: its items spelled as the spec spells them (`DNT`, `TE`,
//! `Set-Cookie`), the anchor of its definition, and the comparison the definition names
//! ("is", "a byte-case-insensitive match for one of", "when byte-lowercased starts with").
//! Rules that the spec states as a rule (a byte range, a prefix) stay rules; each algorithm is a
//! function whose comments carry the spec's step numbers.

/// How a [`SpecList`] is compared with a name, in the words of its definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matching {
    /// "is `A`, `B`, or `C`": byte for byte.
    Is,
    /// "is a byte-case-insensitive match for one of".
    ByteCaseInsensitive,
    /// "when byte-lowercased starts with `a` or `b`": the items are the prefixes.
    ByteLowercasedStartsWith,
}

/// One list of the spec, as its definition states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpecList {
    /// Where the definition lives (an anchor of fetch.spec.whatwg.org unless it names another
    /// document).
    pub defined_at: &'static str,
    /// How an item is compared.
    pub matching: Matching,
    /// The items, spelled as in the spec.
    pub items: &'static [&'static str],
}

impl SpecList {
    /// Whether `input` matches one of the items, compared as [`SpecList::matching`] says.
    pub fn matches(&self, input: &[u8]) -> bool {
        self.items.iter().any(|item| {
            let item = item.as_bytes();
            match self.matching {
                Matching::Is => input == item,
                Matching::ByteCaseInsensitive => input.eq_ignore_ascii_case(item),
                Matching::ByteLowercasedStartsWith => {
                    input.len() >= item.len() && input[..item.len()].eq_ignore_ascii_case(item)
                }
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Infra and HTTP vocabulary
// ---------------------------------------------------------------------------------------------

/// Infra "isomorphic decode": each byte becomes the code point of the same value.
fn isomorphic_decode(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Fetch §2.2 "HTTP tab or space": U+0009 TAB or U+0020 SPACE.
fn is_http_tab_or_space(c: char) -> bool {
    c == '\u{9}' || c == ' '
}

/// Fetch §2.2 "HTTP whitespace": U+000A LF, U+000D CR, or an HTTP tab or space.
fn is_http_whitespace(c: char) -> bool {
    c == '\u{A}' || c == '\u{D}' || is_http_tab_or_space(c)
}

/// mimesniff §3 "HTTP token code point": "U+0021 (!), U+0023 (#), U+0024 ($), U+0025 (%),
/// U+0026 (&), U+0027 ('), U+002A (*), U+002B (+), U+002D (-), U+002E (.), U+005E (^), U+005F
/// (_), U+0060 (`), U+007C (|), U+007E (~), or an ASCII alphanumeric".
pub fn is_http_token_code_point(c: char) -> bool {
    const LISTED: &str = "!#$%&'*+-.^_`|~";
    c.is_ascii_alphanumeric() || LISTED.contains(c)
}

// ---------------------------------------------------------------------------------------------
// Fetch §2.2.1 Methods (#methods)
// ---------------------------------------------------------------------------------------------

/// "A CORS-safelisted method is a method that is `GET`, `HEAD`, or `POST`."
pub const CORS_SAFELISTED_METHOD: SpecList = SpecList {
    defined_at: "#cors-safelisted-method",
    matching: Matching::Is,
    items: &["GET", "HEAD", "POST"],
};

/// "A forbidden method is a method that is a byte-case-insensitive match for `CONNECT`,
/// `TRACE`, or `TRACK`."
pub const FORBIDDEN_METHOD: SpecList = SpecList {
    defined_at: "#forbidden-method",
    matching: Matching::ByteCaseInsensitive,
    items: &["CONNECT", "TRACE", "TRACK"],
};

/// "To normalize a method, if it is a byte-case-insensitive match for `DELETE`, `GET`,
/// `HEAD`, `OPTIONS`, `POST`, or `PUT`, byte-uppercase it."
pub const NORMALIZED_METHOD: SpecList = SpecList {
    defined_at: "#concept-method-normalize",
    matching: Matching::ByteCaseInsensitive,
    items: &["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"],
};

/// `#cors-safelisted-method`.
pub fn is_cors_safelisted_method(method: &str) -> bool {
    CORS_SAFELISTED_METHOD.matches(method.as_bytes())
}

/// `#forbidden-method`.
pub fn is_forbidden_method(method: &str) -> bool {
    FORBIDDEN_METHOD.matches(method.as_bytes())
}

/// `#concept-method-normalize`.
pub fn normalize_method(method: &str) -> String {
    if NORMALIZED_METHOD.matches(method.as_bytes()) {
        method.to_ascii_uppercase()
    } else {
        method.to_owned()
    }
}

// ---------------------------------------------------------------------------------------------
// Fetch §2.2.2 Headers (#terminology-headers)
// ---------------------------------------------------------------------------------------------

/// `#cors-safelisted-request-header` step 1: "If value's length is greater than 128, then
/// return false."
pub const SAFELISTED_VALUE_MAX_LEN: usize = 128;

/// `#cors-unsafe-request-header-names` step 5: "If safelistValueSize is greater than 1024".
pub const SAFELIST_VALUE_SIZE_MAX: usize = 1024;

/// The bytes named one by one in `#cors-unsafe-request-header-byte`: "0x22 ("), 0x28 (left
/// parenthesis), 0x29 (right parenthesis), 0x3A (:), 0x3C (<), 0x3E (>), 0x3F (?), 0x40 (@),
/// 0x5B ([), 0x5C (\), 0x5D (]), 0x7B ({), 0x7D (}), or 0x7F DEL".
pub const CORS_UNSAFE_REQUEST_HEADER_BYTES: &[u8] = b"\"():<>?@[\\]{}\x7F";

/// `#cors-unsafe-request-header-byte`: "byte is less than 0x20 and is not 0x09 HT", or one of
/// [`CORS_UNSAFE_REQUEST_HEADER_BYTES`].
pub fn is_cors_unsafe_request_header_byte(byte: u8) -> bool {
    (byte < 0x20 && byte != 0x09) || CORS_UNSAFE_REQUEST_HEADER_BYTES.contains(&byte)
}

/// The bytes `accept-language` and `content-language` may hold besides the three ranges
/// "0x30 (0) to 0x39 (9)", "0x41 (A) to 0x5A (Z)" and "0x61 (a) to 0x7A (z)": "0x20 (SP), 0x2A
/// (*), 0x2C (,), 0x2D (-), 0x2E (.), 0x3B (;), or 0x3D (=)".
pub const LANGUAGE_VALUE_EXTRA_BYTES: &[u8] = b" *,-.;=";

fn is_language_value_byte(byte: u8) -> bool {
    (0x30..=0x39).contains(&byte)
        || (0x41..=0x5A).contains(&byte)
        || (0x61..=0x7A).contains(&byte)
        || LANGUAGE_VALUE_EXTRA_BYTES.contains(&byte)
}

/// The essences `#cors-safelisted-request-header` accepts for `content-type`:
/// "`application/x-www-form-urlencoded`", "`multipart/form-data`", or "`text/plain`".
pub const SAFELISTED_CONTENT_TYPE_ESSENCE: SpecList = SpecList {
    defined_at: "#cors-safelisted-request-header",
    matching: Matching::Is,
    items: &[
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "text/plain",
    ],
};

/// `#cors-safelisted-request-header`.
pub fn is_cors_safelisted_request_header(name: &str, value: &[u8]) -> bool {
    // 1. If value's length is greater than 128, then return false.
    if value.len() > SAFELISTED_VALUE_MAX_LEN {
        return false;
    }
    // 2. Byte-lowercase name and switch on the result:
    match name.to_ascii_lowercase().as_str() {
        "accept" => {
            // If value contains a CORS-unsafe request-header byte, then return false.
            if value.iter().any(|&b| is_cors_unsafe_request_header_byte(b)) {
                return false;
            }
        }
        "accept-language" | "content-language" => {
            // If value contains a byte that is not [0-9A-Za-z] and not one of the listed
            // bytes, then return false.
            if !value.iter().all(|&b| is_language_value_byte(b)) {
                return false;
            }
        }
        "content-type" => {
            // 1. If value contains a CORS-unsafe request-header byte, then return false.
            if value.iter().any(|&b| is_cors_unsafe_request_header_byte(b)) {
                return false;
            }
            // 2. Let mimeType be the result of parsing the result of isomorphic decoding value.
            // 3. If mimeType is failure, then return false.
            let Some(essence) = parse_mime_type_essence(&isomorphic_decode(value)) else {
                return false;
            };
            // 4. If mimeType's essence is not one of the three, then return false.
            if !SAFELISTED_CONTENT_TYPE_ESSENCE.matches(essence.as_bytes()) {
                return false;
            }
        }
        "range" => {
            // 1. Let rangeValue be the result of parsing a single range header value given
            //    value and false.
            // 2. If rangeValue is failure, then return false.
            let Some((range_start, _range_end)) = parse_single_range_header_value(value, false)
            else {
                return false;
            };
            // 3. If rangeValue[0] is null, then return false.
            if range_start.is_none() {
                return false;
            }
        }
        // Otherwise: return false.
        _ => return false,
    }
    // 3. Return true.
    true
}

/// A number of a range, kept as its decimal digits (leading zeros removed): the spec reads
/// them "interpreted as decimal number", of any size, and compares them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecimalNumber(String);

impl DecimalNumber {
    fn from_digits(digits: &str) -> Self {
        let trimmed = digits.trim_start_matches('0');
        DecimalNumber(if trimmed.is_empty() { "0" } else { trimmed }.to_owned())
    }

    /// Whether `self` is greater than `other`, as numbers.
    fn is_greater_than(&self, other: &DecimalNumber) -> bool {
        (self.0.len(), self.0.as_str()) > (other.0.len(), other.0.as_str())
    }
}

/// Collects a sequence of code points of `data` that satisfy `condition`, from `position`.
fn collect_sequence(
    data: &[char],
    position: &mut usize,
    condition: impl Fn(char) -> bool,
) -> String {
    let start = *position;
    while *position < data.len() && condition(data[*position]) {
        *position += 1;
    }
    data[start..*position].iter().collect()
}

/// `#simple-range-header-value`, "parse a single range header value".
pub fn parse_single_range_header_value(
    value: &[u8],
    allow_whitespace: bool,
) -> Option<(Option<DecimalNumber>, Option<DecimalNumber>)> {
    // 1. Let data be the isomorphic decoding of value.
    let data: Vec<char> = isomorphic_decode(value).chars().collect();
    // 2. If data does not start with "bytes", then return failure.
    let bytes: Vec<char> = "bytes".chars().collect();
    if !data.starts_with(&bytes) {
        return None;
    }
    // 3. Let position be a position variable for data, initially pointing at the 5th code
    //    point of data.
    let mut position = bytes.len();
    let skip_whitespace = |position: &mut usize| {
        if allow_whitespace {
            collect_sequence(&data, position, is_http_tab_or_space);
        }
    };
    // 4. If allowWhitespace is true, collect HTTP tab or space.
    skip_whitespace(&mut position);
    // 5. If the code point at position within data is not U+003D (=), then return failure.
    if data.get(position) != Some(&'=') {
        return None;
    }
    // 6. Advance position by 1.
    position += 1;
    // 7. If allowWhitespace is true, collect HTTP tab or space.
    skip_whitespace(&mut position);
    // 8. Let rangeStart be the result of collecting ASCII digits.
    let range_start = collect_sequence(&data, &mut position, |c| c.is_ascii_digit());
    // 9. rangeStartValue: rangeStart as a decimal number, if not the empty string; else null.
    let range_start_value =
        (!range_start.is_empty()).then(|| DecimalNumber::from_digits(&range_start));
    // 10. If allowWhitespace is true, collect HTTP tab or space.
    skip_whitespace(&mut position);
    // 11. If the code point at position within data is not U+002D (-), then return failure.
    if data.get(position) != Some(&'-') {
        return None;
    }
    // 12. Advance position by 1.
    position += 1;
    // 13. If allowWhitespace is true, collect HTTP tab or space.
    skip_whitespace(&mut position);
    // 14. Let rangeEnd be the result of collecting ASCII digits.
    let range_end = collect_sequence(&data, &mut position, |c| c.is_ascii_digit());
    // 15. rangeEndValue: rangeEnd as a decimal number, if not the empty string; else null.
    let range_end_value = (!range_end.is_empty()).then(|| DecimalNumber::from_digits(&range_end));
    // 16. If position is not past the end of data, then return failure.
    if position < data.len() {
        return None;
    }
    // 17. If rangeEndValue and rangeStartValue are null, then return failure.
    if range_start_value.is_none() && range_end_value.is_none() {
        return None;
    }
    // 18. If both are numbers and rangeStartValue is greater than rangeEndValue, then return
    //     failure.
    if let (Some(start), Some(end)) = (&range_start_value, &range_end_value) {
        if start.is_greater_than(end) {
            return None;
        }
    }
    // 19. Return (rangeStartValue, rangeEndValue).
    Some((range_start_value, range_end_value))
}

/// mimesniff "parse a MIME type", steps 1–10, returning the essence (`type/subtype`);
/// the parameters (step 11) never make parsing fail, so they are not read.
fn parse_mime_type_essence(input: &str) -> Option<String> {
    // 1. Remove any leading and trailing HTTP whitespace from input.
    let input: Vec<char> = input.trim_matches(is_http_whitespace).chars().collect();
    // 2. Let position be a position variable for input, initially pointing at the start.
    let mut position = 0;
    // 3. Let type be the result of collecting a sequence of code points that are not U+002F (/).
    let mime_type = collect_sequence(&input, &mut position, |c| c != '/');
    // 4. If type is the empty string or does not solely contain HTTP token code points, then
    //    return failure.
    if mime_type.is_empty() || !mime_type.chars().all(is_http_token_code_point) {
        return None;
    }
    // 5. If position is past the end of input, then return failure.
    if position >= input.len() {
        return None;
    }
    // 6. Advance position by 1. (This skips past U+002F (/).)
    position += 1;
    // 7. Let subtype be the result of collecting a sequence of code points that are not
    //    U+003B (;).
    let subtype = collect_sequence(&input, &mut position, |c| c != ';');
    // 8. Remove any trailing HTTP whitespace from subtype.
    let subtype = subtype.trim_end_matches(is_http_whitespace);
    // 9. If subtype is the empty string or does not solely contain HTTP token code points,
    //    then return failure.
    if subtype.is_empty() || !subtype.chars().all(is_http_token_code_point) {
        return None;
    }
    // 10. type and subtype in ASCII lowercase; the essence is "type/subtype".
    Some(format!(
        "{}/{}",
        mime_type.to_ascii_lowercase(),
        subtype.to_ascii_lowercase()
    ))
}

/// `#forbidden-request-header` step 1: "If name is a byte-case-insensitive match for one of:".
pub const FORBIDDEN_REQUEST_HEADER_NAME: SpecList = SpecList {
    defined_at: "#forbidden-request-header",
    matching: Matching::ByteCaseInsensitive,
    items: &[
        "Accept-Charset",
        "Accept-Encoding",
        "Access-Control-Request-Headers",
        "Access-Control-Request-Method",
        "Connection",
        "Content-Length",
        "Cookie",
        "Cookie2",
        "Date",
        "DNT",
        "Expect",
        "Host",
        "Keep-Alive",
        "Origin",
        "Referer",
        "Set-Cookie",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
        "Via",
    ],
};

/// `#forbidden-request-header` step 2: "If name when byte-lowercased starts with `proxy-` or
/// `sec-`, then return true."
pub const FORBIDDEN_REQUEST_HEADER_PREFIX: SpecList = SpecList {
    defined_at: "#forbidden-request-header",
    matching: Matching::ByteLowercasedStartsWith,
    items: &["proxy-", "sec-"],
};

/// `#forbidden-request-header` step 3: the names whose value is read for a forbidden method.
pub const METHOD_OVERRIDE_HEADER_NAME: SpecList = SpecList {
    defined_at: "#forbidden-request-header",
    matching: Matching::ByteCaseInsensitive,
    items: &[
        "X-HTTP-Method",
        "X-HTTP-Method-Override",
        "X-Method-Override",
    ],
};

/// The WICG Private Network Access draft, §"Forbidden header names": "A new entry is added to
/// the list of forbidden request-header names: `Access-Control-Request-Private-Network`." The
/// Fetch Standard itself does not list it; browsers that ship the draft refuse it.
pub const PRIVATE_NETWORK_ACCESS_FORBIDDEN_REQUEST_HEADER_NAME: SpecList = SpecList {
    defined_at: "https://wicg.github.io/private-network-access/#forbidden-header-names",
    matching: Matching::ByteCaseInsensitive,
    items: &["Access-Control-Request-Private-Network"],
};

/// `#forbidden-request-header`, with the Private Network Access addition: whether a page's
/// `new Request()` / `Headers` silently drops the header (`name`, `value`).
pub fn is_forbidden_request_header(name: &str, value: &[u8]) -> bool {
    let name = name.as_bytes();
    // 1. If name is a byte-case-insensitive match for one of the listed names, return true.
    if FORBIDDEN_REQUEST_HEADER_NAME.matches(name)
        || PRIVATE_NETWORK_ACCESS_FORBIDDEN_REQUEST_HEADER_NAME.matches(name)
    {
        return true;
    }
    // 2. If name when byte-lowercased starts with `proxy-` or `sec-`, then return true.
    if FORBIDDEN_REQUEST_HEADER_PREFIX.matches(name) {
        return true;
    }
    // 3. If name is `X-HTTP-Method`, `X-HTTP-Method-Override` or `X-Method-Override`:
    if METHOD_OVERRIDE_HEADER_NAME.matches(name) {
        // 1. Let parsedValues be the result of getting, decoding, and splitting value.
        // 2. For each method of parsedValues: if the isomorphic encoding of method is a
        //    forbidden method, then return true.
        return get_decode_and_split(value)
            .iter()
            .any(|method| is_forbidden_method(method));
    }
    // 4. Return false.
    false
}

/// Fetch §2.2 "collect an HTTP quoted string" with extract-value false: returns the code
/// points from the opening quote to the position reached, quotes included.
fn collect_http_quoted_string(input: &[char], position: &mut usize) -> String {
    // 1. Let positionStart be position.
    let position_start = *position;
    // 3. Assert: the code point at position within input is U+0022 (").
    // 4. Advance position by 1.
    *position += 1;
    // 5. While true:
    loop {
        // 1. Collect code points that are not U+0022 (") or U+005C (\).
        collect_sequence(input, position, |c| c != '"' && c != '\\');
        // 2. If position is past the end of input, then break.
        if *position >= input.len() {
            break;
        }
        // 3. Let quoteOrBackslash be the code point at position. 4. Advance position by 1.
        let quote_or_backslash = input[*position];
        *position += 1;
        if quote_or_backslash == '\\' {
            // 5.1. If position is past the end of input, then break.
            if *position >= input.len() {
                break;
            }
            // 5.2–5.3. Take the escaped code point.
            *position += 1;
        } else {
            // 6. Assert: quoteOrBackslash is U+0022 ("). Break.
            break;
        }
    }
    // 7. (extract-value is false) Return the code points from positionStart to position.
    input[position_start..(*position).min(input.len())]
        .iter()
        .collect()
}

/// `#concept-header-list-get-decode-split` on a header value ("get, decode, and split").
pub fn get_decode_and_split(value: &[u8]) -> Vec<String> {
    // 1. Let input be the result of isomorphic decoding value.
    let input: Vec<char> = isomorphic_decode(value).chars().collect();
    // 2. Let position be a position variable for input, initially at the start.
    let mut position = 0;
    // 3. Let values be a list of strings, initially « ». 4. Let temporaryValue be "".
    let mut values = Vec::new();
    let mut temporary_value = String::new();
    // 5. While true:
    loop {
        // 1. Append code points that are not U+0022 (") or U+002C (,) to temporaryValue.
        temporary_value.push_str(&collect_sequence(&input, &mut position, |c| {
            c != '"' && c != ','
        }));
        // 2. If position is not past the end of input and the code point there is U+0022 ("):
        if position < input.len() && input[position] == '"' {
            // 1. Append the result of collecting an HTTP quoted string to temporaryValue.
            temporary_value.push_str(&collect_http_quoted_string(&input, &mut position));
            // 2. If position is not past the end of input, then continue.
            if position < input.len() {
                continue;
            }
        }
        // 3. Remove all HTTP tab or space from the start and end of temporaryValue.
        // 4. Append temporaryValue to values. 5. Set temporaryValue to the empty string.
        values.push(
            temporary_value
                .trim_matches(is_http_tab_or_space)
                .to_owned(),
        );
        temporary_value.clear();
        // 6. If position is past the end of input, then return values.
        if position >= input.len() {
            return values;
        }
        // 7. Assert: the code point at position is U+002C (,). 8. Advance position by 1.
        position += 1;
    }
}

/// "A CORS non-wildcard request-header name is a header name that is a byte-case-insensitive
/// match for `Authorization`."
pub const CORS_NON_WILDCARD_REQUEST_HEADER_NAME: SpecList = SpecList {
    defined_at: "#cors-non-wildcard-request-header-name",
    matching: Matching::ByteCaseInsensitive,
    items: &["Authorization"],
};

/// `#cors-non-wildcard-request-header-name`: a name that `*` in `Access-Control-Allow-Headers`
/// never covers.
pub fn is_cors_non_wildcard_request_header_name(name: &str) -> bool {
    CORS_NON_WILDCARD_REQUEST_HEADER_NAME.matches(name.as_bytes())
}

/// The fixed items of `#cors-safelisted-response-header-name`; the definition adds "Any item
/// in list that is not a forbidden response-header name".
pub const CORS_SAFELISTED_RESPONSE_HEADER_NAME: SpecList = SpecList {
    defined_at: "#cors-safelisted-response-header-name",
    matching: Matching::ByteCaseInsensitive,
    items: &[
        "Cache-Control",
        "Content-Language",
        "Content-Length",
        "Content-Type",
        "Expires",
        "Last-Modified",
        "Pragma",
    ],
};

/// "A forbidden response-header name is a header name that is a byte-case-insensitive match
/// for one of: `Set-Cookie`, `Set-Cookie2`".
pub const FORBIDDEN_RESPONSE_HEADER_NAME: SpecList = SpecList {
    defined_at: "#forbidden-response-header-name",
    matching: Matching::ByteCaseInsensitive,
    items: &["Set-Cookie", "Set-Cookie2"],
};

/// `#forbidden-response-header-name`.
pub fn is_forbidden_response_header_name(name: &str) -> bool {
    FORBIDDEN_RESPONSE_HEADER_NAME.matches(name.as_bytes())
}

/// `#cors-safelisted-response-header-name`, given the list of exposed names `list`.
pub fn is_cors_safelisted_response_header_name(name: &str, list: &[String]) -> bool {
    CORS_SAFELISTED_RESPONSE_HEADER_NAME.matches(name.as_bytes())
        || list.iter().any(|item| {
            item.as_bytes().eq_ignore_ascii_case(name.as_bytes())
                && !is_forbidden_response_header_name(item)
        })
}

/// Fetch §3.3.4 "HTTP new-header syntax": "wildcard = "*"". In
/// `Access-Control-Allow-Methods`, `Access-Control-Allow-Headers` and
/// `Access-Control-Expose-Headers` it "counts as a wildcard for requests without credentials".
pub const WILDCARD: &str = "*";

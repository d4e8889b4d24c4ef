#!/usr/bin/env bash
# House limits for the library's sources: no file in src/ over 600 lines, no function
# (free fn, method, nested or test fn) whose body spans more than 90 lines.
#
# Usage: scripts/check-house.sh [DIR]   (default: src)
#        scripts/check-house.sh --self-test   (the scanner against scripts/check-house-fixtures)
# Exits 1 and lists every offender when a limit is exceeded; prints nothing else on success
# apart from a one-line summary.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--self-test" ]; then
  # The scanner against fixtures: a fn of exactly 90 lines whose strings, chars and
  # comments hold unbalanced braces passes; a method and a nested test fn of 91 lines
  # fail; a lower file limit catches a file over it.
  fixtures=scripts/check-house-fixtures
  fail() { echo "check-house self-test: $1" >&2; exit 1; }
  "$0" "$fixtures/pass" >/dev/null || fail "the passing fixture was refused"
  if out=$("$0" "$fixtures/fail" 2>/dev/null); then fail "the 91-line fns were not refused"; fi
  [ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ] || fail "expected 2 offenders, got: $out"
  grep -q 'long_fn.rs:6: fn ninety_one spans 91 lines' <<<"$out" || fail "missed the method: $out"
  grep -q 'fn long_test spans 91 lines' <<<"$out" || fail "missed the nested test fn: $out"
  if out=$(MAX_FILE_LINES=100 "$0" "$fixtures/pass" 2>/dev/null); then fail "a 101-line file passed a 100-line limit"; fi
  grep -q 'tricky.rs: 101 lines (limit 100)' <<<"$out" || fail "wrong file report: $out"
  echo "check-house self-test: ok"
  exit 0
fi

dir=${1:-src}
MAX_FILE_LINES=${MAX_FILE_LINES:-600}
MAX_FN_LINES=${MAX_FN_LINES:-90}

exec python3 - "$dir" "$MAX_FILE_LINES" "$MAX_FN_LINES" <<'PY'
import os
import re
import sys

root, max_file, max_fn = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

FN = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")


def is_ident(ch):
    return ch.isalnum() or ch == "_"


def starts_token(text, i):
    """Whether the `r` at `i` starts a raw string: `r"…"`, `r#"…"#` or `br"…"`, not
    the end of an identifier such as `for"`."""
    if i == 0 or not is_ident(text[i - 1]):
        return True
    return text[i - 1] == "b" and (i == 1 or not is_ident(text[i - 2]))


def code_only(text):
    """The source with comments, strings and char literals blanked (newlines kept), so
    braces inside them do not count."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == "/" and nxt == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 260]) and starts_token(text, i):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            end = n if end < 0 else end + 1 + len(hashes)
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(re.sub(r"[^\n]", " ", text[i:j + 1]))
            i = j + 1
        elif c == "'":
            # A char literal ('a', '\n', '\u{7f}', '{') or a lifetime ('a, 'static).
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|\\.|[^\\'])'", text[i:i + 12])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def long_fns(code):
    """(name, first line, lines) of every fn item whose span, from its `fn` line to its
    closing brace, is longer than the limit."""
    found = []
    for m in FN.finditer(code):
        # The body starts at the first `{` after the signature; a `;` first means no body
        # (a trait method declaration or an extern fn).
        j, depth_paren = m.end(), 0
        while j < len(code):
            ch = code[j]
            if ch in "([":
                depth_paren += 1
            elif ch in ")]":
                depth_paren -= 1
            elif ch == ";" and depth_paren <= 0:
                j = -1
                break
            elif ch == "{" and depth_paren <= 0:
                break
            j += 1
        if j < 0 or j >= len(code):
            continue
        depth, k = 0, j
        while k < len(code):
            if code[k] == "{":
                depth += 1
            elif code[k] == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        first = code.count("\n", 0, m.start()) + 1
        last = code.count("\n", 0, k) + 1
        span = last - first + 1
        if span > max_fn:
            found.append((m.group(1), first, span))
    return found


offenders = []
files = 0
for base, dirs, names in os.walk(root):
    dirs.sort()
    for name in sorted(names):
        if not name.endswith(".rs"):
            continue
        path = os.path.join(base, name)
        files += 1
        with open(path, encoding="utf-8") as f:
            text = f.read()
        lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        if lines > max_file:
            offenders.append(f"{path}: {lines} lines (limit {max_file})")
        for fn_name, first, span in long_fns(code_only(text)):
            offenders.append(f"{path}:{first}: fn {fn_name} spans {span} lines (limit {max_fn})")

if offenders:
    print("\n".join(offenders), flush=True)
    print(f"check-house: {len(offenders)} offender(s) in {files} files under {root}/", file=sys.stderr)
    sys.exit(1)
print(f"check-house: {files} files under {root}/ within {max_file} lines per file, {max_fn} per fn")
PY

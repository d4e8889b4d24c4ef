#!/usr/bin/env bash
# Refreshes data/public_suffix_list.dat, the Public Suffix List snapshot the
# pattern check (`https://*.co.uk` is refused) embeds.
#
#   scripts/update-psl.sh                      download the list from publicsuffix.org
#   scripts/update-psl.sh path/to/list.dat     use a local copy (e.g. a checkout of
#                                              https://github.com/publicsuffix/list)
#
# Keeps the licence header and the section markers, drops the comments and
# blank lines between rules (the snapshot is compiled into the library).
set -euo pipefail
cd "$(dirname "$0")/.."
url=https://publicsuffix.org/list/public_suffix_list.dat
if [ $# -ge 1 ]; then
  src=$(cat "$1"); origin="$1"
else
  src=$(curl -fsSL "$url"); origin="$url"
fi
{
  printf '%s\n' "$src" | sed -n '1,3p'
  printf '\n// The rules of the Public Suffix List, %s,\n' "$url"
  printf '// from %s on %s,\n' "$(basename "$origin")" "$(date -u +%Y-%m-%d)"
  printf '// with the comments and blank lines between rules removed and Unicode labels\n'
  printf '// written in their ASCII (xn--) form, as browsers send them (scripts/update-psl.sh).\n\n'
  printf '%s\n' "$src" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' |
    awk '/^\/\/ *===(BEGIN|END) (ICANN|PRIVATE) DOMAINS===$/ { sub(/^\/\/ */, "// "); print; next }
         /^\/\// || /^$/ { next }
         { print }' |
    python3 -c '
import sys
# Browsers send hosts in their ASCII form: each Unicode label of a rule is
# written as "xn--" + its RFC 3492 punycode (the list is already normalized).
def ascii_label(label):
    return label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
for line in sys.stdin.read().splitlines():
    if line.startswith("//"):
        print(line)
        continue
    bang = "!" if line.startswith("!") else ""
    print(bang + ".".join(ascii_label(l) for l in line[len(bang):].split(".")))
'
} > data/public_suffix_list.dat.new
grep -q '===BEGIN PRIVATE DOMAINS===' data/public_suffix_list.dat.new
mv data/public_suffix_list.dat.new data/public_suffix_list.dat
echo "data/public_suffix_list.dat: $(grep -vc '^//' data/public_suffix_list.dat) lines of rules"

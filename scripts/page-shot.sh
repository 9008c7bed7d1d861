#!/usr/bin/env bash
# page-shot.sh PAGE_DIR PNG: looks at the status page PAGE_DIR/index.html (written by
# `neuroflow report --html PAGE_DIR`) in a real browser, headless Debian chromium
# with no network: prints one word per plot, `plot-<id>:<width>x<height>` as drawn
# (`plot-<id>:empty` where the page says there was nothing to draw) and
# `errors:<n>`, the page's console errors; and saves a screenshot to PNG. The status
# page test (tests/it/chain_cli.rs) and the screenshot in docs/guide.md both come
# from this script.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 PAGE_DIR PNG" >&2; exit 1; }
PAGE=$(cd "$1" && pwd)/index.html PNG=$2
[ -f "$PAGE" ] || { echo "page-shot: no $PAGE (write it with neuroflow report --html $1)" >&2; exit 1; }
command -v chromium >/dev/null || { echo "page-shot: chromium is missing (apt-get install chromium; scripts/setup.sh does)" >&2; exit 1; }
FLAGS=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --disable-extensions)
MEASURE=$(dirname "$PAGE")/.measure.html
trap 'rm -f "$MEASURE"' EXIT
# A copy of the page with a script that measures each plot as laid out (the page
# itself has none) and counts errors the page raises.
sed 's#</body>#<script>\
let nfErrors = 0; window.addEventListener("error", () => nfErrors++, true);\
window.addEventListener("load", () => {\
  const words = [...document.querySelectorAll("figure.plot")].map(f => {\
    const s = f.querySelector("svg"); if (!s) return f.id + ":empty";\
    const r = s.getBoundingClientRect(); return f.id + ":" + Math.round(r.width) + "x" + Math.round(r.height); });\
  const pre = document.createElement("pre"); pre.id = "nf-measure";\
  pre.textContent = words.concat(["errors:" + nfErrors]).join(" "); document.body.appendChild(pre); });\
</script></body>#' "$PAGE" > "$MEASURE"
chromium "${FLAGS[@]}" --virtual-time-budget=3000 --window-size=1280,1000 --dump-dom "file://$MEASURE" 2>/dev/null |
  sed -n 's#.*<pre id="nf-measure">\([^<]*\)</pre>.*#\1#p'
rm -f "$PNG"
chromium "${FLAGS[@]}" --hide-scrollbars --window-size=1100,4400 --screenshot="$PNG" "file://$PAGE" >/dev/null 2>&1
[ -s "$PNG" ] || { echo "page-shot: chromium wrote no screenshot" >&2; exit 1; }

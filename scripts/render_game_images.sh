#!/bin/sh
# Render the catalog's game images (GET /games `images`) from the game art SVGs with headless Chromium:
#   scripts/render_game_images.sh   → static/games/<slug>/{square,horizontal,horizontal_337x181,widescreen,vertical}.png
# Rerun after changing static/hub/img/<slug>.svg; commit the PNGs (a fresh clone needs no browser).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for slug in prediction-markets traderhero-jackpot; do
  art=prediction-markets; [ "$slug" = traderhero-jackpot ] && art=traderhero
  mkdir -p "$root/static/games/$slug"
  for spec in square:400:400 horizontal:400:300 horizontal_337x181:337:181 widescreen:640:360 vertical:300:400; do
    name=${spec%%:*}; rest=${spec#*:}; w=${rest%%:*}; h=${rest#*:}
    printf '<html><body style="margin:0;background:#0f172a;overflow:hidden"><img src="file://%s" style="width:%spx;height:%spx;object-fit:cover;display:block"></body></html>' \
      "$root/static/hub/img/$art.svg" "$w" "$h" > "$tmp/page.html"
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$w,$h" \
      --screenshot="$root/static/games/$slug/$name.png" "file://$tmp/page.html" >/dev/null 2>&1
  done
done

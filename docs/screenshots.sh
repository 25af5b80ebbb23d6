#!/usr/bin/env bash
# Remakes the README's pictures of the explorer, docs/explorer.png and docs/explorer-circuits.png, on a
# trained model: runs `loupe quickstart` (a few minutes on 2 cores) into a temporary directory, then the
# explorer's browser test in headless Chromium on its 2-layer model, which opens on the model's training
# sample, expands the induction head, overlays it with layer 0's previous-token head and pins the token
# where the induction head looks hardest. Tests never write tracked files; this script asks the test to,
# on purpose. Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian: apt-get install chromium chromium-driver).
# Usage: docs/screenshots.sh [MODEL_DIR]   (a model directory with sample_prompt.txt instead of a new quickstart)
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-}"
if [ -z "$model" ]; then
  runs="$(mktemp -d)"
  trap 'rm -rf "$runs"' EXIT
  ./loupe quickstart --out "$runs/quickstart"
  model="$runs/quickstart/attn-only-2l"
fi
mvn -B -ntp -q -pl loupe-web -am test -Dtest='ExplorerBrowserTest#screenshotsOfATrainedModelsInductionHead' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dloupe.screenshot="$PWD/docs" -Dloupe.screenshot.model="$(cd "$model" && pwd)"
ls -l docs/explorer.png docs/explorer-circuits.png

#!/usr/bin/env bash
# Remakes docs/explorer.png (the README's picture) with the explorer's browser test in headless
# Chromium. Tests never write tracked files; this script asks the test to, on purpose.
# Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian: apt-get install chromium chromium-driver).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp -q -pl loupe-web -am test -Dtest=ExplorerBrowserTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dloupe.screenshot="$PWD/docs"
echo "wrote docs/explorer.png"

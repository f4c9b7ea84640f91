#!/usr/bin/env bash
# Rebuild the translation catalogues (docs/languages.md): extract every marked string of the
# code and templates into src/touchstone/locale/<lang>/LC_MESSAGES/django.po (new strings
# arrive untranslated, changed ones fuzzy), then compile each .po into the .mo that is
# committed beside it (servers need no gettext tools). Needs GNU gettext
# (scripts/system-packages.sh). Usage: bash scripts/messages.sh [LANG...]  (default: every
# catalogue there is). touchstone/tests/test_translations.py runs the same extraction.
set -euo pipefail
cd "$(dirname "$0")/.."
TOUCHSTONE="$PWD/.venv/bin/touchstone"
cd src/touchstone
languages=("$@")
if [ ${#languages[@]} -eq 0 ]; then
  for dir in locale/*/; do languages+=("$(basename "$dir")"); done
fi
for lang in "${languages[@]}"; do
  "$TOUCHSTONE" makemessages --locale "$lang" --add-location file --ignore tests --ignore static
  "$TOUCHSTONE" compilemessages --locale "$lang"
done

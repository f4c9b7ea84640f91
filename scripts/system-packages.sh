#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (PostgreSQL server, Chromium, a Java
# runtime for the research network's Spark tests, GNU gettext for the translation catalogues)
# when they are missing. Needs root for apt-get; without it, says what to install and fails.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# PySpark 4 runs on Java 17 or newer.
java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])' || missing+=(openjdk-17-jre-headless)
# makemessages runs xgettext and msgmerge; the catalogue tests msgattrib and msgfmt
# (docs/languages.md). Servers need none of them: the compiled .mo files are committed.
command -v msgfmt >/dev/null 2>&1 && command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Install them (sudo apt-get install ${missing[*]}) and re-run." >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

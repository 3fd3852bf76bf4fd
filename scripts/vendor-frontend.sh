#!/usr/bin/env bash
# Re-create incidents/static/incidents/vendor/ from the pinned npm packages below.
#
# Each package is fetched with `npm pack` (the registry tarball, checked against the
# registry's integrity hash by npm), unpacked in a temporary directory, and only the files
# the pages load are copied, with the package's licence. Nothing is fetched at run time:
# the pages serve these files from our own static URL, never from a CDN.
#
# Usage: scripts/vendor-frontend.sh        (then review `git diff --stat` and commit)
set -euo pipefail

# name@version, pinned. Change a version here, run the script, update VENDOR.md.
PACKAGES=(
  "leaflet.markercluster@1.5.3"
  "leaflet.heat@0.2.0"
  "chart.js@4.6.1"
  "world-atlas@2.0.2"
  "topojson-client@3.1.0"
  "supercluster@9.1.0"
  "kdbush@4.1.0"
)

# Files to copy from each package: "<path inside package>" (copied by base name).
files_for() {
  case "$1" in
    leaflet.markercluster) echo "dist/leaflet.markercluster.js dist/MarkerCluster.css dist/MarkerCluster.Default.css MIT-LICENCE.txt" ;;
    leaflet.heat) echo "dist/leaflet-heat.js LICENSE" ;;
    chart.js) echo "dist/chart.umd.min.js LICENSE.md" ;;
    world-atlas) echo "countries-50m.json LICENSE" ;;
    topojson-client) echo "dist/topojson-client.min.js LICENSE" ;;
    # supercluster's browser build bundles kdbush (same author, ISC): vendor its licence too.
    supercluster) echo "dist/supercluster.min.js LICENSE" ;;
    kdbush) echo "LICENSE" ;;
    *) echo "no file list for $1" >&2; exit 1 ;;
  esac
}

root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/incidents/static/incidents/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for spec in "${PACKAGES[@]}"; do
  name="${spec%@*}"
  mkdir -p "$work/$name"
  (cd "$work/$name" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
  rm -rf "${vendor:?}/$name"
  mkdir -p "$vendor/$name"
  for file in $(files_for "$name"); do
    install -m 0644 "$work/$name/package/$file" "$vendor/$name/"
  done
  echo "vendored $spec"
done

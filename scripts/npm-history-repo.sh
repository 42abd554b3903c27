#!/usr/bin/env bash
# Builds a git repository whose history is the published versions of an npm package, one commit per
# version, for `npm run bench:history -- <repo>`: real code with real churn (rewritten bundles, edited
# sources, added and deleted files), which a generated history only imitates.
#
#   scripts/npm-history-repo.sh <package> <first minor> <last minor> <dir>
#   scripts/npm-history-repo.sh three 100 170 /tmp/three-history    # 71 versions, ~6,600 unique blobs
#
# Versions are <major 0>.<minor>.0; commits get fixed authors and dates (one day apart), so two builds
# give the same object ids.
set -euo pipefail
pkg=$1 first=$2 last=$3 dir=$4
cache="$dir.tarballs"
mkdir -p "$cache"
rm -rf "$dir" && git init -q "$dir"
for minor in $(seq "$first" "$last"); do
  version="0.$minor.0"
  tgz="$cache/$pkg-$version.tgz"
  [ -f "$tgz" ] || (cd "$cache" && npm pack -q "$pkg@$version" >/dev/null 2>&1) || { echo "skip $version (not published)"; continue; }
  find "$dir" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
  tar xzf "$tgz" -C "$dir" --strip-components=1
  date=$(date -u -d "2020-01-01 + $minor days" +%Y-%m-%dT%H:%M:%SZ)
  git -C "$dir" add -A
  GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date git -C "$dir" -c user.name=release -c user.email=release@example.test \
    commit -q -m "$pkg $version" --allow-empty
done
git -C "$dir" gc -q
echo "$dir: $(git -C "$dir" rev-list --count HEAD) commits"

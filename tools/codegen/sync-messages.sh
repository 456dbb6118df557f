#!/usr/bin/env bash
# Re-copies Apache Kafka's message definitions from the shared checkout (../shared/kafka-protocol) into
# tools/codegen/kafka-messages, so the generator's input is part of this repository. Run `npm run codegen` after.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
src="${1:-$repo/../shared/kafka-protocol}"
dest="$here/kafka-messages"
if [ ! -d "$src/messages" ]; then
  echo "no message definitions at $src/messages" >&2
  exit 1
fi
rm -rf "$dest"
mkdir -p "$dest"
cp -R "$src/messages/." "$dest/"
cp "$src/SOURCE.txt" "$dest/SOURCE.txt"
echo "copied $(find "$dest" -name '*.json' | wc -l | tr -d ' ') message definitions from $src into $dest"

#!/usr/bin/env bash
# Installs the system programs that `npm run test:compat` drives: independent Kafka clients (kcat and
# librdkafka's Python binding, kafka-python) and, as later features need them, databases and a browser.
# Idempotent: packages already present are skipped. Debian 12 package names; needs root (or sudo).
set -euo pipefail

PACKAGES=(
  kcat                    # librdkafka's CLI: metadata, produce, consume with every codec
  python3-confluent-kafka # confluent-kafka-python (librdkafka); run with /usr/bin/python3
  python3-kafka           # kafka-python, a pure-Python client
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "compat: all system packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "compat: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "compat: installed"

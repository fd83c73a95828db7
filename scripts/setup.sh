#!/usr/bin/env bash
# Idempotent install of every Debian and npm package the project needs.
set -euo pipefail
cd "$(dirname "$0")/.."
# gcc-multilib: hosts/xs-device builds XS 32-bit, as on the ESP32 (scripts/xs-device.ts).
DEBS=(charon-systemd libcharon-extra-plugins libstrongswan-standard-plugins slirp socat iptables iproute2 tshark mosquitto mosquitto-clients nginx-light python3 gcc-multilib)
# The twin links the native crypto module (hosts/native/crypto) against 32-bit libsodium and mbedTLS.
DEBS+=(libsodium-dev:i386 libmbedtls-dev:i386)
if [[ $(id -u) -eq 0 ]] && ! dpkg --print-foreign-architectures | grep -qx i386; then
  dpkg --add-architecture i386
fi
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages (${missing[*]}); run as root or install them" >&2
  else
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections 2>/dev/null || true
    apt-get update -qq
    # mosquitto and nginx would start system-wide services on install: the lab runs its own, in
    # its namespaces, so keep the package scripts from starting any (policy-rc.d, as Docker does).
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
      trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
if [[ ! -d node_modules ]] || [[ package.json -nt node_modules/.package-lock.json ]]; then
  npm install --no-fund --no-audit
fi
# Toolchains the tests use (Moddable host tools, the twin's 32-bit XS), built here and cached, so that
# no test builds one inside its own timeout.
node --import tsx scripts/prepare-tools.ts

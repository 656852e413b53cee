#!/usr/bin/env bash
# Prepares the Python (gRPC C-core) interop peer: installs Debian's grpcio,
# protobuf and the code generators when missing, then generates Python stubs
# from our proto/ files into .tmp/interop-py/ (gitignored).
# Idempotent: safe to run before every interop run.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${INTEROP_PY_OUT:-$repo_root/.tmp/interop-py}"
py=/usr/bin/python3

need=()
dpkg -s python3-grpcio >/dev/null 2>&1 || need+=(python3-grpcio)
dpkg -s python3-protobuf >/dev/null 2>&1 || need+=(python3-protobuf)
dpkg -s protobuf-compiler >/dev/null 2>&1 || need+=(protobuf-compiler)
dpkg -s protobuf-compiler-grpc >/dev/null 2>&1 || need+=(protobuf-compiler-grpc)
if [ "${#need[@]}" -gt 0 ]; then
  echo "setup.sh: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Regenerate when the stubs are missing or older than any proto file.
stamp="$out/.stamp"
if [ -f "$stamp" ] && [ -z "$(find "$repo_root/proto/grpc/testing" "$repo_root/proto/grpc/core" "$repo_root/interop/python/setup.sh" -newer "$stamp")" ]; then
  exit 0
fi
rm -rf "$out"
mkdir -p "$out"
protoc \
  --proto_path="$repo_root/proto" \
  --python_out="$out" \
  --grpc_out="$out" \
  --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin \
  "$repo_root"/proto/grpc/core/stats.proto \
  "$repo_root"/proto/grpc/testing/*.proto
# Make the generated folders importable. There is deliberately no
# grpc/__init__.py: "grpc" is grpcio's package, and interop_stubs.py adds
# this folder to its search path instead of shadowing it.
find "$out/grpc" -mindepth 1 -type d -exec touch {}/__init__.py \;
"$py" -c "import sys; sys.path.insert(0, '$repo_root/interop/python'); import interop_stubs" 
# Test certificates for --use_tls (made once, reused).
if [ ! -f "${INTEROP_CERT_DIR:-$repo_root/.tmp/interop-certs}/done" ]; then
  (cd "$repo_root" && node --import tsx interop/certs.ts >/dev/null)
fi
touch "$stamp"

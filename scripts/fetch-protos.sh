#!/usr/bin/env bash
# fetch-protos.sh DEST — puts the third-party .proto files our API imports into
# DEST at pinned versions. They are dependencies, not our code: DEST is
# git-ignored and rebuilt from these pins (see docs/adr/0001-layout-and-toolchain.md).
set -euo pipefail

GOOGLE_PROTO_FILES_VERSION=6.0.1   # npm: google/api, google/rpc
PROTOVALIDATE_VERSION=v1.2.2       # Go module: buf/validate/validate.proto
GRPC_GATEWAY_VERSION=v2.33.0       # Go module: protoc-gen-openapiv2/options

dest=${1:?usage: fetch-protos.sh DEST}
stamp="$dest/.versions"
want="google-proto-files@$GOOGLE_PROTO_FILES_VERSION protovalidate@$PROTOVALIDATE_VERSION grpc-gateway@$GRPC_GATEWAY_VERSION"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

rm -rf "$dest"
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# googleapis subset from the npm package.
(cd "$tmp" && npm pack --silent "google-proto-files@$GOOGLE_PROTO_FILES_VERSION" >/dev/null)
tar -xzf "$tmp"/google-proto-files-*.tgz -C "$tmp"
for f in api/annotations api/http api/field_behavior api/resource api/httpbody api/client api/launch_stage \
         rpc/status rpc/error_details rpc/code; do
  mkdir -p "$dest/google/$(dirname "$f")"
  cp "$tmp/package/google/$f.proto" "$dest/google/$f.proto"
done

# Go modules: ask the go command for the module folder.
moddir() { GOWORK=off GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p'; }

pv=$(moddir "github.com/bufbuild/protovalidate@$PROTOVALIDATE_VERSION")
mkdir -p "$dest/buf/validate"
cp "$pv/proto/protovalidate/buf/validate/validate.proto" "$dest/buf/validate/"

gw=$(moddir "github.com/grpc-ecosystem/grpc-gateway/v2@$GRPC_GATEWAY_VERSION")
mkdir -p "$dest/protoc-gen-openapiv2/options"
cp "$gw"/protoc-gen-openapiv2/options/*.proto "$dest/protoc-gen-openapiv2/options/"

chmod -R u+w "$dest"
echo "$want" > "$stamp"

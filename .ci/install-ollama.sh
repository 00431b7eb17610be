#!/usr/bin/env bash
# install-ollama.sh builds a CPU-only Ollama from the Go module proxy for the
# integration tests in providers/ollama/realollama (tag "integration").
#
# Idempotent: when the binary at $OLLAMA_BIN already reports the pinned
# version it does nothing. The first build compiles llama.cpp and ggml
# through cgo: ~11 CPU-minutes, so ~9 minutes on an idle 2-core machine and
# half an hour when others compile too; rebuilds hit the Go build cache.
#
# The module zip of ollama v0.17.4 lacks llama.cpp's vendor/ directory, so
# three headers it #includes are supplied from registries:
#   nlohmann/json.hpp, nlohmann/json_fwd.hpp  <- Debian nlohmann-json3-dev
#   stb/stb_image.h                           <- Debian libstb-dev
#   miniaudio/miniaudio.h                     <- Go module github.com/gen2brain/malgo
# All three are gathered under $INC_DIR, which CGO_CPPFLAGS points at.
#
# Environment overrides:
#   OLLAMA_BIN   where to install (default /usr/local/bin/ollama-0.17.4; this is
#                also where realollama.Start looks when SWITCHYARD_OLLAMA_BIN is unset)
#   OLLAMA_WORK  scratch dir for the include tree (default ~/.cache/switchyard-ollama)
set -euo pipefail

OLLAMA_VERSION=0.17.4
MALGO_VERSION=v0.11.24
OLLAMA_BIN=${OLLAMA_BIN:-/usr/local/bin/ollama-${OLLAMA_VERSION}}
OLLAMA_WORK=${OLLAMA_WORK:-${HOME}/.cache/switchyard-ollama}
INC_DIR=${OLLAMA_WORK}/inc

say() { printf '[install-ollama] %s\n' "$*"; }

# `ollama --version` without a server prints
#   Warning: could not connect to a running Ollama instance
#   Warning: client version is 0.17.4
# so the client version line is what identifies the build.
if [[ -x ${OLLAMA_BIN} ]] &&
	OLLAMA_HOST=127.0.0.1:1 "${OLLAMA_BIN}" --version 2>&1 | grep -q "client version is ${OLLAMA_VERSION}\$"; then
	say "ollama ${OLLAMA_VERSION} already installed: ${OLLAMA_BIN}"
	echo "${OLLAMA_BIN}"
	exit 0
fi

need_apt=()
[[ -f /usr/include/nlohmann/json.hpp ]] || need_apt+=(nlohmann-json3-dev)
[[ -f /usr/include/stb/stb_image.h ]] || need_apt+=(libstb-dev)
if ((${#need_apt[@]})); then
	sudo=""
	[[ $(id -u) -eq 0 ]] || sudo=sudo
	say "apt-get update"
	${sudo} apt-get update -qq
	say "apt-get install -y ${need_apt[*]}"
	${sudo} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

say "go mod download github.com/gen2brain/malgo@${MALGO_VERSION}"
malgo_dir=$(go mod download -json "github.com/gen2brain/malgo@${MALGO_VERSION}" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
if [[ -z ${malgo_dir} || ! -f ${malgo_dir}/miniaudio.h ]]; then
	say "error: miniaudio.h not found in malgo module dir '${malgo_dir}'" >&2
	exit 1
fi

say "assembling include tree in ${INC_DIR}"
mkdir -p "${INC_DIR}/miniaudio"
install -m 0644 "${malgo_dir}/miniaudio.h" "${INC_DIR}/miniaudio/miniaudio.h"
# The Debian headers sit on the compiler's default path already; the links
# make ${INC_DIR} self-contained so the one -I below is the whole story.
ln -sfn /usr/include/nlohmann "${INC_DIR}/nlohmann"
ln -sfn /usr/include/stb "${INC_DIR}/stb"

gobin=$(mktemp -d)
trap 'rm -rf "${gobin}"' EXIT
say "go install github.com/ollama/ollama@v${OLLAMA_VERSION} (CPU only; the first build takes 9-30 min)"
start=$(date +%s)
CGO_ENABLED=1 CGO_CPPFLAGS="-I${INC_DIR}" GOBIN="${gobin}" GOFLAGS=-buildvcs=false \
	go install -trimpath \
	-ldflags "-s -w -X github.com/ollama/ollama/version.Version=${OLLAMA_VERSION}" \
	"github.com/ollama/ollama@v${OLLAMA_VERSION}"
say "built in $(($(date +%s) - start))s"

mkdir -p "$(dirname "${OLLAMA_BIN}")"
install -m 0755 "${gobin}/ollama" "${OLLAMA_BIN}"
say "installed: ${OLLAMA_BIN}"
OLLAMA_HOST=127.0.0.1:1 "${OLLAMA_BIN}" --version 2>&1 | sed 's/^/[install-ollama]   /' || true
echo "${OLLAMA_BIN}"

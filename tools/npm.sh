# tools/npm.sh -- the one way the tests install npm packages (newman, the
# OpenAPI validator, playwright-core). Source it, then `npm_install DIR`.
#
# DIR holds a package.json naming exact versions and the package-lock.json
# npm made from it, both tracked by git. `npm ci` installs exactly what the
# lock file says into DIR/node_modules (not tracked), and again only when
# either file changed: node_modules/.adstats-installed keeps the pair it was
# installed from. Nothing is installed globally and nothing needs root:
# Node.js and npm themselves come from tools/deps.sh test.

npm_install() {
  local dir=$1
  local stamp=$dir/node_modules/.adstats-installed
  if cat "$dir/package.json" "$dir/package-lock.json" 2>/dev/null | cmp -s - "$stamp"; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: run tools/deps.sh test (as root)" >&2
    return 1
  fi
  echo "npm: installing $dir/package-lock.json into $dir/node_modules" >&2
  (cd "$dir" && npm ci --no-audit --no-fund >&2) || return 1
  cat "$dir/package.json" "$dir/package-lock.json" >"$stamp"
}

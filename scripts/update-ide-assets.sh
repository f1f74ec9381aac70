#!/usr/bin/env bash
# Refresh the IDE's vendored assets (gateway/ide/static) from the npm registry.
# The gateway never loads them from a CDN: the page works on a network without internet.
set -euo pipefail
GRAPHIQL=${GRAPHIQL:-3.8.3}
REACT=${REACT:-18.3.1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm install --no-audit --no-fund --loglevel=error "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT"
dest="$(cd "$(dirname "$0")/.." && pwd)/gateway/ide/static"
cp node_modules/graphiql/graphiql.min.js node_modules/graphiql/graphiql.min.css "$dest/"
cp node_modules/react/umd/react.production.min.js node_modules/react-dom/umd/react-dom.production.min.js "$dest/"
{
  echo "Third-party assets vendored for the offline IDE (MIT licensed). Refresh with scripts/update-ide-assets.sh."
  echo; echo "graphiql $GRAPHIQL"; cat node_modules/graphiql/LICENSE
  echo; echo "react $REACT / react-dom $REACT"; cat node_modules/react/LICENSE
} > "$dest/THIRD_PARTY_LICENSES.txt"
echo "updated $dest"

#!/bin/sh
# `make web`: the npm packages pinned by package-lock.json (GraphiQL, React, tus-js-client for the browser tests),
# then GraphiQL's files into api/static/graphiql/ (build.mjs). Needs node and npm; the registry is asked once.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
node build.mjs

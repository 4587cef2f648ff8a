#!/usr/bin/env bash
# Prints the Markdown table of adstats' options, generated from --help, for
# README.md (tests/integration/test_ops.py checks the two agree).
#   usage: tools/options-table.sh [path/to/adstats]   (default: bin/adstats)
set -euo pipefail
bin=${1:-bin/adstats}
"$bin" --help | awk '
  BEGIN {
    print "| Flag | Environment variable | Default | Meaning |"
    print "| --- | --- | --- | --- |"
  }
  /^  --[a-z]/ && $2 ~ /^[A-Z_]+$/ {
    flag = $1; env = $2
    help = $0; sub(/^  --[^ ]+ +[A-Z_]+ +/, "", help)
    gsub(/\|/, "\\|", help)
    next_is_default = 1
    next
  }
  next_is_default && /\(default: / {
    d = $0; sub(/^.*\(default: /, "", d); sub(/\)$/, "", d)
    printf "| `%s` | `%s` | `%s` | %s |\n", flag, env, d, help
    next_is_default = 0
  }
  /^  --(help|version)/ {
    flag = $1; help = $0; sub(/^  --[a-z]+ +/, "", help)
    printf "| `%s` | | | %s |\n", flag, help
  }'

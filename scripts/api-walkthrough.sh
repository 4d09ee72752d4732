#!/usr/bin/env bash
# Runs the curl walkthrough in README.md against a running server, so the README cannot rot.
# Usage: scripts/api-walkthrough.sh [API_BASE_URL]   (default http://127.0.0.1:3000/api/v1)
#
# The walkthrough is the ```sh block between the README's walkthrough markers. Each command runs
# in order in this shell (so `id=$(…)` carries on); a command ending in `# → NNN …` must answer
# with HTTP status NNN (it prints its headers with `curl -si`), and any other must succeed.
set -euo pipefail
cd "$(dirname "$0")/.."
export api="${1:-http://127.0.0.1:3000/api/v1}"

block=$(awk '/<!-- walkthrough:start -->/ { on = 1; next } /<!-- walkthrough:end -->/ { on = 0 }
             on && !/^```/' README.md)
[ -n "$block" ] || { echo "no walkthrough found between the README's markers" >&2; exit 1; }

steps=0
command=""
while IFS= read -r line; do
  # Lines ending in a backslash continue the command.
  if [[ $line == *\\ ]]; then command+="${line%\\} "; continue; fi
  command+="$line"
  if [[ -z ${command// } || $command =~ ^[[:space:]]*# ]]; then command=""; continue; fi
  # The README's commands set `api` for a reader; here it points at the server under test.
  if [[ $command =~ ^api= ]]; then command=""; continue; fi
  steps=$((steps + 1))
  if [[ $command =~ \#\ →\ ([0-9]{3}) ]]; then
    expected=${BASH_REMATCH[1]}
    answer=$(eval "${command%%#*}")
    status=$(printf '%s\n' "$answer" | awk 'NR == 1 { print $2 }')
    if [ "$status" != "$expected" ]; then
      printf 'walkthrough step %d: expected %s, got %s\n  %s\n%s\n' "$steps" "$expected" "$status" "$command" "$answer" >&2
      exit 1
    fi
    printf '✓ %s  %s\n' "$status" "${command%%#*}"
  else
    printf '✓     %s\n' "$command"
    if [[ $command =~ ^[a-z_]+=\$\( ]]; then
      eval "$command"
    else
      eval "$command" | sed 's/^/        /'
    fi

  fi
  command=""
done <<< "$block"
echo "the README's walkthrough ran: $steps steps"

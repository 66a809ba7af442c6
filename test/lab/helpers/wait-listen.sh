#!/bin/bash
# wait-listen.sh PORT [TIMEOUT_S]: waits (without forking) until a TCP socket listens on PORT in this network namespace.
port=$(printf '%04X' "$1")
deadline=$((SECONDS + ${2:-10}))
while ((SECONDS < deadline)); do
  while read -r _ local _ st _; do
    [[ $local == *":$port" && $st == 0A ]] && exit 0
  done < /proc/net/tcp
  sleep 0.01
done
echo "lab: nothing listens on port $1" >&2
exit 1

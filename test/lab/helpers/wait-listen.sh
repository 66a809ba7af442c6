#!/bin/bash
# wait-listen.sh PORT [TIMEOUT_S [IPV4]]: waits (without forking) until a TCP socket listens on PORT (on IPV4 when
# given, e.g. the WAN proxy's LAB_IP:22 while sshd holds 127.0.0.1:22) in this network namespace.
port=$(printf '%04X' "$1")
addr=''
if [[ -n ${3:-} ]]; then
  IFS=. read -r a b c d <<< "$3"
  addr=$(printf '%02X%02X%02X%02X' "$d" "$c" "$b" "$a") # /proc/net/tcp: little-endian hex
fi
deadline=$((SECONDS + ${2:-10}))
while ((SECONDS < deadline)); do
  while read -r _ local _ st _; do
    [[ $local == *":$port" && $st == 0A && ( -z $addr || $local == "$addr:$port" ) ]] && exit 0
  done < /proc/net/tcp
  sleep 0.01
done
echo "lab: nothing listens on ${3:+$3:}port $1" >&2
exit 1

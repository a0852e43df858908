#!/bin/sh
# The merge step: wait for every shard's summary, then combine them into merged.json (and print
# the table). Exit status: `moth bench merge`'s verdict over all shards.
#   SHARDS, RESULTS, MOTH   as for shard.sh; WAIT_S: how long to wait for the shards [3600]
set -eu
shards="${SHARDS:?the number of shards}"
results="${RESULTS:-/results}"
deadline=$(( $(date +%s) + ${WAIT_S:-3600} ))
while :; do
    have=$(find "$results" -maxdepth 1 -name 'shard-*.json' | wc -l)
    [ "$have" -ge "$shards" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "merge: only $have of $shards shard summaries arrived" >&2
        exit 1
    fi
    sleep 1
done
exec "${MOTH:-moth}" bench merge --json "$results/merged.json" "$results"/shard-*.json

#!/bin/sh
# One shard of a distributed `moth bench` run: the container command of the Indexed Job.
#   JOB_COMPLETION_INDEX  this pod's index (set by Kubernetes for an Indexed Job)
#   SHARDS                how many shards in all (the Job's completions)
#   START_AT              when every shard starts sending (RFC 3339 or Unix seconds)
#   BENCH_ARGS            the mode and flags, the same for every shard (e.g. "pub -h broker -c 10000 -q 1")
#   RESULTS               where summaries go (a volume shared with the merge step) [/results]
#   MOTH                  the moth binary [moth]
# A shard whose run fails a check still writes its summary; the exit status carries the verdict.
set -eu
index="${JOB_COMPLETION_INDEX:?set by an Indexed Job}"
shards="${SHARDS:?the number of shards}"
start_at="${START_AT:?a common start time}"
results="${RESULTS:-/results}"
mkdir -p "$results"
# BENCH_ARGS is split into words on purpose: it holds several flags.
# shellcheck disable=SC2086
exec "${MOTH:-moth}" bench ${BENCH_ARGS:?the bench mode and flags} \
    --shard "$index/$shards" --start-at "$start_at" --quiet \
    --json "$results/shard-$index.json"

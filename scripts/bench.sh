#!/usr/bin/env bash
# Runs comfyd's main benchmarks and prints one Markdown table.
# BENCHTIME (default 20x) sets go test's -benchtime for every benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
bt=${BENCHTIME:-20x}
benches=(
  "./sampling/noise|RandnCPU|RandnCUDA"
  "./sampling|SamplerOwnCost|KSamplerInspire|GuidedDenoise"
  "./models/builtin|Apply64|TextToImage512|Decode512"
  "./graph|Validate500|ExecutorPerNode"
  "./server|PromptToSuccess|WSFanout100"
  "./nodes|PNG"
)
echo "| benchmark | time/op | other metrics |"
echo "| --- | --- | --- |"
for entry in "${benches[@]}"; do
  pkg=${entry%%|*}
  pattern="(${entry#*|})"
  go test -run '^$' -bench "$pattern" -benchmem -benchtime "$bt" "$pkg" 2>/dev/null |
    awk -v pkg="${pkg#./}" '/^Benchmark/ {
      name=$1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
      time=$3 " " $4; extra=""
      for (i = 5; i < NF; i += 2) extra = extra (extra == "" ? "" : ", ") $i " " $(i+1)
      printf "| %s %s | %s | %s |\n", pkg, name, time, extra
    }'
done

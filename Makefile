# Convenience targets; CI runs .ci/run.
.PHONY: run test bench ci

run:
	go run ./cmd/comfyd

test:
	go test ./...

# The main benchmarks, one Markdown table (BENCHTIME=2s for steadier numbers).
bench:
	bash scripts/bench.sh

ci:
	bash .ci/run

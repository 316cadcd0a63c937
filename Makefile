# Convenience targets; CI runs .ci/run.
.PHONY: run test bench ci

run:
	go run ./cmd/comfyd

test:
	go test ./...

# The main benchmarks, one table.
bench:
	go test -run '^$$' -bench . -benchmem -benchtime 1x ./tensor/... ./graph/... >/dev/null 2>&1 || true
	go test -run '^$$' -bench . -benchmem -benchtime 2s ./sampling/... ./models/... ./graph/... ./server/... | grep -E '^(Benchmark|ok|PASS|FAIL)'

ci:
	bash .ci/run

# `make run` and `make test` work on a fresh machine: they create .venv, install, and go.
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
# llama-cpp-python compiles llama.cpp for this CPU; on CPUs with AMX its AMX path segfaults
# on the first prompt (README, Models), so it is built without AMX (the same value,
# backslashes included, was tried by hand: the build's flags end with these three).
export CMAKE_ARGS := -DCMAKE_C_FLAGS=-mno-amx-int8\ -mno-amx-tile\ -mno-amx-bf16 -DCMAKE_CXX_FLAGS=-mno-amx-int8\ -mno-amx-tile\ -mno-amx-bf16

QUESTION ?= Which paper mines audio and text pairs from public data to improve speech recognition for low-resource languages?

.PHONY: setup run ask ingest test lint bench eval

setup: $(STAMP)

# torch first, pinned: its CPU wheel lies on this machine's disk, and letting another
# package pull a bare `torch` downloads several GB of CUDA builds.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install torch==2.13.0
	$(BIN)/python -m pip install -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

ingest: setup
	$(BIN)/rag ingest

run: ingest
	$(BIN)/rag chat

ask: ingest
	$(BIN)/rag ask "$(QUESTION)"

test: setup
	$(BIN)/python -m pytest -ra

lint: setup
	$(BIN)/ruff check rag tests bench

bench: ingest
	$(BIN)/python bench/bench.py

eval: ingest
	$(BIN)/rag eval bench/hard_questions.jsonl --out bench/out/latest-hard
	$(BIN)/rag eval bench/dev_questions.jsonl --out bench/out/latest-dev

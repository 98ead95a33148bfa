#!/usr/bin/env bash
# Check `rag chat` once in a real terminal: start it in tmux, ask a question with
# send-keys, wait for the answer, print the captured screen. Exits non-zero when no
# answer or no sources appear. Uses the real store and model; chats go to a temp dir.
#   tests/tui/tmux_check.sh ["question"]      (TIMEOUT=seconds, OUT=screen file)
set -euo pipefail
cd "$(dirname "$0")/../.."

QUESTION=${1:-"Which paper mines audio and text pairs from public data to improve speech recognition for low-resource languages?"}
TIMEOUT=${TIMEOUT:-240}
OUT=${OUT:-/tmp/rag-chat-screen.txt}
SESSION="rag-chat-check-$$"
DATA=$(mktemp -d)

cleanup() {
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    rm -rf "$DATA"
}
trap cleanup EXIT

screen() { tmux capture-pane -p -t "$SESSION" 2>/dev/null; }

wait_for() {  # wait_for REGEX WHAT: poll the screen until REGEX shows up
    local deadline=$((SECONDS + TIMEOUT))
    until screen | grep -Eq "$1"; do
        if ! tmux has-session -t "$SESSION" 2>/dev/null; then
            echo "FAIL: rag chat exited before showing the $2" >&2
            exit 1
        fi
        if ((SECONDS > deadline)); then
            screen >"$OUT"
            cat "$OUT"
            echo "FAIL: no $2 after ${TIMEOUT} s (screen saved in $OUT)" >&2
            exit 1
        fi
        sleep 1
    done
}

tmux new-session -d -s "$SESSION" -x 140 -y 45 \
    "env XDG_DATA_HOME=$DATA HF_HUB_OFFLINE=1 ${RAG_N_THREADS:+RAG_N_THREADS=$RAG_N_THREADS} ANONYMIZED_TELEMETRY=False .venv/bin/rag chat"
start=$SECONDS
wait_for "rag chat" "window"
echo "window after $((SECONDS - start)) s"
wait_for "[0-9]+ papers" "ready model (status line)"
echo "ready after $((SECONDS - start)) s"
tmux send-keys -t "$SESSION" -l "$QUESTION"
tmux send-keys -t "$SESSION" Enter
wait_for "first token|retrieval [0-9]" "answer"
sleep 1
screen >"$OUT"
cat "$OUT"
grep -Eq "^.*\[1\] " "$OUT" || { echo "FAIL: no sources listed" >&2; exit 1; }
# The end of every answer: the checked summary, the line saying there is none, or a decline.
grep -Eq "In short:|The model's summary|Declined:" "$OUT" || { echo "FAIL: no checked answer" >&2; exit 1; }
ls "$DATA"/rag/conversations/*.json >/dev/null || { echo "FAIL: chat not saved" >&2; exit 1; }
tmux send-keys -t "$SESSION" C-q
echo "OK: answer and sources shown in $((SECONDS - start)) s; screen saved in $OUT"

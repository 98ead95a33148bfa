#!/usr/bin/env bash
# Check `rag chat` once in a real terminal, driven by keys with tmux send-keys, on the real
# store and model (chats go to a temp dir). Exits non-zero at the first failed step:
#   1. a question typed while the model loads is kept and asked once it is ready;
#   2. after F2, typing goes to the question box (the follow-up is typed from the sources);
#   3. a question typed during an answer waits ("Waiting: …") and is asked after it;
#   4. ctrl+q during that answer saves it, marked stopped, with the earlier ones intact.
#   tests/tui/tmux_check.sh ["question"]      (TIMEOUT=seconds, OUT=screen file)
set -euo pipefail
cd "$(dirname "$0")/../.."

QUESTION=${1:-"Which paper mines audio and text pairs from public data to improve speech recognition for low-resource languages?"}
FOLLOWUP_START="how many"
FOLLOWUP_END=" languages does it cover?"
THIRD="What does the Shrutilipi dataset contain?"
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
keys() { tmux send-keys -t "$SESSION" "$@"; }
fail() {
    screen >"$OUT" || true
    cat "$OUT"
    echo "FAIL: $1 (screen saved in $OUT)" >&2
    exit 1
}

wait_for() {  # wait_for REGEX WHAT: poll the screen until REGEX shows up
    local deadline=$((SECONDS + TIMEOUT))
    until screen | grep -Eq "$1"; do
        tmux has-session -t "$SESSION" 2>/dev/null || fail "rag chat exited before showing the $2"
        ((SECONDS <= deadline)) || fail "no $2 after ${TIMEOUT} s"
        sleep 1
    done
}

wait_gone() {  # wait_gone REGEX WHAT: poll the screen until REGEX is no longer there
    local deadline=$((SECONDS + TIMEOUT))
    while screen | grep -Eq "$1"; do
        ((SECONDS <= deadline)) || fail "$2 still shown after ${TIMEOUT} s"
        sleep 1
    done
}

tmux new-session -d -s "$SESSION" -x 140 -y 45 \
    "env XDG_DATA_HOME=$DATA HF_HUB_OFFLINE=1 ${RAG_N_THREADS:+RAG_N_THREADS=$RAG_N_THREADS} ANONYMIZED_TELEMETRY=False .venv/bin/rag chat"
start=$SECONDS
wait_for "rag chat" "window"
echo "window after $((SECONDS - start)) s"

# 1. Typed while loading: kept, shown as waiting, asked once the model is ready.
keys -l "$QUESTION"
keys Enter
wait_for "Waiting: asked once the model has loaded" "question kept while loading"
echo "question kept while loading after $((SECONDS - start)) s"
wait_for "[0-9]+ papers" "ready model (status line)"
echo "ready after $((SECONDS - start)) s"
wait_for "first token|retrieval [0-9]" "first answer"
sleep 1
screen | grep -Eq "^.*\[1\] " || fail "no sources listed"
# The end of every answer: the checked summary, the line saying there is none, or a decline.
screen | grep -Eq "In short:|The model's summary|Declined:" || fail "no checked answer"
echo "first answer after $((SECONDS - start)) s"

# 2. F2 moves to the sources; letters typed there land in the question box.
keys F2
sleep 1
keys -l "$FOLLOWUP_START"
wait_for "▊ +$FOLLOWUP_START" "text typed in the sources, in the question box"
keys -l "$FOLLOWUP_END"
keys Enter

# 3. A question typed while that answer is written waits its turn.
keys -l "$THIRD"
keys Enter
wait_for "Waiting: asked after the answer above" "waiting question"
echo "third question waiting after $((SECONDS - start)) s"
wait_gone "Waiting: asked after" "waiting question"
echo "third question asked after $((SECONDS - start)) s"

# 4. ctrl+q while it is answered: saved, marked stopped; the two before are whole.
sleep 1
screen >"$OUT"
keys C-q
deadline=$((SECONDS + 30))
while tmux has-session -t "$SESSION" 2>/dev/null; do
    ((SECONDS <= deadline)) || fail "rag chat still running 30 s after ctrl+q"
    sleep 1
done
.venv/bin/python - "$DATA"/rag/conversations <<'EOF' || { cat "$OUT"; exit 1; }
import json, pathlib, sys

(path,) = pathlib.Path(sys.argv[1]).glob("*.json")
turns = json.loads(path.read_text())["turns"]
print("saved:", [(t["question"][:30], "stopped" if t["stopped"] else "done") for t in turns])
assert len(turns) == 3, f"FAIL: {len(turns)} turns saved, not 3"
assert not turns[0]["stopped"] and turns[0]["answer"], "FAIL: the first answer is not whole"
assert not turns[1]["stopped"] and turns[1]["answer"], "FAIL: the follow-up is not whole"
assert turns[1]["question"] == "how many languages does it cover?", turns[1]["question"]
assert turns[2]["stopped"], "FAIL: the answer running at ctrl+q is not marked stopped"
EOF
cat "$OUT"
echo "OK: kept while loading, typing from the sources, a waiting question, saved on quit," \
    "in $((SECONDS - start)) s; last screen in $OUT"

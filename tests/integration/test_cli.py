from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from rag.cli import main
from rag.config import Settings
from rag.generate import LlamaGenerator, find_model
from rag.prompts import load_prompts
from rag.types import Answer
from tests.conftest import SEED_FILE


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def test_search_json_and_stdin_batch(real_settings, real_store):
    store = ["--store", real_settings.store_path]
    one = run("search", "--json", *store, "quantization-aware training for LLMs")
    assert one.exit_code == 0, one.output
    results = json.loads(one.output)["results"]
    assert results[0]["title"].startswith("EfficientQAT")
    many = run("search", *store, "-", input="speech recognition low-resource\nautonomous driving\n")
    lines = [json.loads(x) for x in many.output.splitlines()]
    assert [x["query"] for x in lines] == ["speech recognition low-resource", "autonomous driving"]
    assert lines[1]["results"][0]["title"].startswith("Senna")


def test_missing_store_says_to_ingest(tmp_path):
    result = run("ask", "--store", str(tmp_path / "none"), "anything?")
    assert result.exit_code == 3
    assert "rag ingest" in result.output and len(result.output.strip().splitlines()) == 1


def test_empty_question_is_a_usage_error(real_settings, real_store):
    result = run("ask", "--store", real_settings.store_path, "-", input="  \n")
    assert result.exit_code == 2 and "empty" in result.output


def test_bad_model_files_get_one_line_errors(tmp_path, real_settings, real_store):
    store = ["--store", real_settings.store_path]
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("hello")
    truncated = tmp_path / "cut.gguf"
    with find_model("").open("rb") as f:
        truncated.write_bytes(f.read(1_000_000))
    for path, expected in [
        (tmp_path / "missing.gguf", "not found"),
        (not_gguf, "is not a GGUF file"),
        (truncated, "truncated"),
    ]:
        result = run("ask", *store, "--model", str(path), "What is EfficientQAT?")
        assert result.exit_code == 4, result.output
        assert expected in result.output and str(path) in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_model_without_chat_template_uses_the_plain_prompt(assistant, monkeypatch):
    monkeypatch.setattr(LlamaGenerator, "has_chat_template", property(lambda self: False))
    *_, answer = assistant.ask("What does EfficientQAT do to large language models?")
    assert isinstance(answer, Answer) and answer.timings.completion_tokens > 0


def test_ingest_reports_progress_lines_and_is_idempotent(tmp_path):
    seed = tmp_path / "seeds"
    seed.mkdir()
    shutil.copy(SEED_FILE, seed)
    store = ["--store", str(tmp_path / "store")]
    first = run("ingest", *store, str(seed))
    assert first.exit_code == 0, first.output
    assert "searchable (quick abstract views): 88/88 papers · " in first.output
    assert "full abstract and sentence views: 88/88 papers · " in first.output
    assert "s left" in first.output
    assert "new papers searchable after" in first.output
    second = run("ingest", *store, str(seed))
    assert "0 embedded" in second.output and "views" not in second.output


def test_prompts_folder_is_valid():
    prompts = load_prompts(Settings().prompts_dir)
    assert prompts.decline


def test_question_longer_than_the_context_is_cut_with_a_notice(real_settings, real_store):
    question = "How does EfficientQAT train quantized models? " + "Please explain. " * 3000
    result = run("ask", "--json", "--store", real_settings.store_path, "-", input=question)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    # "Please explain." is an ordinary sentence, not a name no paper contains: answered.
    assert not data["abstained"], data["notices"]
    assert any("cut" in n for n in data["notices"])

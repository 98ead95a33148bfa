from __future__ import annotations

import pytest

from rag.config import load_settings
from rag.errors import ConfigError


def test_precedence_defaults_file_env_flags(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text('k = 4\nn_ctx = 1024\nmodel = "from-file.gguf"\n')
    monkeypatch.setenv("RAG_N_CTX", "4096")
    monkeypatch.setenv("RAG_MODEL", "from-env.gguf")
    s = load_settings(cfg, model="from-flag.gguf", k=None)
    assert (s.k, s.n_ctx, s.model) == (4, 4096, "from-flag.gguf")
    assert s.bm25_weight == 0.3


def test_bad_values_are_named(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_K", "many")
    with pytest.raises(ConfigError, match="setting 'k' must be int"):
        load_settings()


def test_unknown_key_and_missing_file(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("colour = 1\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_booleans_from_the_environment(monkeypatch):
    monkeypatch.setenv("RAG_CHECK_NAMES", "false")
    assert load_settings().check_names is False
    monkeypatch.setenv("RAG_CHECK_NAMES", "perhaps")
    with pytest.raises(ConfigError, match="true or false"):
        load_settings()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"rewrite": "modle"}, "must be one of"),
        ({"k": 0}, "'k' must be at least 1"),
        ({"n_ctx": 512, "max_tokens": 256}, "raise n_ctx or lower max_tokens"),
    ],
)
def test_invalid_settings_are_rejected(flags, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(**flags)


def test_a_collection_name_may_not_hold_the_sibling_separator():
    with pytest.raises(ConfigError, match="without '__'"):
        load_settings(collection="papers__window")
    assert load_settings(collection="papers_2024").collection == "papers_2024"

from __future__ import annotations

from llama_cpp import llama_cpp as lib

from rag.generate import _plain_cpu_buffers


def test_the_model_loads_without_extra_buffer_types_and_the_default_is_restored():
    default = lib.llama_model_default_params
    with _plain_cpu_buffers():
        assert lib.llama_model_default_params().use_extra_bufts is False  # no AMX repack
    assert lib.llama_model_default_params is default
    assert default().use_extra_bufts is True

"""GGUF chat templates that are broken, missing or failing, and a context overflow, on the
real engine: copies of the bundled model with new metadata (as gguf-new-metadata makes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.alignment.conversation import Status
from tui.alignment.store import Store
from tui.application.service import ChatService
from tui.engine.base import SamplingSettings
from tui.errors import ModelError

pytestmark = pytest.mark.model
gguf = pytest.importorskip("gguf")
BROKEN = "{% for m in messages %}{{ m.content }{% endfor %}"  # Jinja: unexpected '}'
RAISING = "{{ raise_exception('boom') }}"


def copy_with_template(source: Path, target: Path, template: str | None) -> Path:
    """source's tensors and metadata, with tokenizer.chat_template replaced (None: removed)."""
    reader = gguf.GGUFReader(source)
    arch = reader.get_field(gguf.Keys.General.ARCHITECTURE).contents()
    writer = gguf.GGUFWriter(target, arch=arch, endianess=reader.endianess)
    for field in reader.fields.values():
        if (field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF.")
                or field.name.startswith(gguf.Keys.Tokenizer.CHAT_TEMPLATE)):
            continue
        kind = field.types[0]
        sub_type = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), kind, sub_type=sub_type)
    if template is not None:
        writer.add_chat_template(template)
    for tensor in reader.tensors:
        writer.add_tensor_info(tensor.name, tensor.data.shape, tensor.data.dtype,
                               tensor.data.nbytes, tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in reader.tensors:
        writer.write_tensor_data(tensor.data, tensor_endianess=reader.endianess)
    writer.close()
    return target


@pytest.fixture(scope="session")
def copies(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("templates")
    return {name: copy_with_template(model_path, folder / f"{name}.gguf", template)
            for name, template in (("broken", BROKEN), ("none", None), ("raising", RAISING))}


@pytest.fixture
def open_engine() -> Iterator[object]:
    from tui.engine.llama import LlamaEngine

    opened: list[LlamaEngine] = []

    def make(path: Path, chat_format: str | None = None) -> LlamaEngine:
        engine = LlamaEngine(path, n_ctx=512, n_threads=2, seed=1, chat_format=chat_format)
        opened.append(engine)
        return engine

    yield make
    for engine in opened:
        engine.close()


def answer(engine: object, store: Store, prompt: str = "Say hi.") -> tuple[Status, str, str]:
    service = ChatService(store, engine, SamplingSettings(temperature=0.0, max_tokens=8),  # type: ignore[arg-type]
                          "Answer briefly.")
    turn = service.send(prompt)
    turn.wait()
    saved = store.message(turn.answer.id)
    return saved.status, saved.content, str(saved.meta.get("error", ""))


def test_a_broken_template_is_one_line_naming_the_file_and_the_fix(copies, open_engine) -> None:
    path = copies["broken"]
    with pytest.raises(ModelError) as error:
        open_engine(path).wait_loaded()
    assert str(error.value) == (f"{path}: its chat template is broken (unexpected '}}'); "
                                "pass --chat-format NAME or set chat_format in models.toml")


def test_a_named_chat_format_rescues_a_broken_template(copies, open_engine, store) -> None:
    engine = open_engine(copies["broken"], chat_format="chatml")
    assert engine.wait_loaded().warnings == []
    status, content, _error = answer(engine, store)
    assert status is Status.COMPLETE and content.strip()


def test_a_gguf_without_a_template_warns_unless_a_format_is_named(copies, open_engine) -> None:
    path = copies["none"]
    warnings = open_engine(path).wait_loaded().warnings
    assert warnings == [f"{path.name} has no chat template, so its answers may be garbage "
                        "(llama-cpp-python's generic llama-2 format is used); pass --chat-format "
                        "NAME or set chat_format in models.toml, e.g. chatml"]
    assert open_engine(path, chat_format="chatml").wait_loaded().warnings == []


def test_an_unknown_chat_format_is_refused_before_loading(copies, open_engine) -> None:
    with pytest.raises(ModelError, match=r"chat format 'nope' is unknown to llama-cpp-python; "
                                         r"use one of .*chatml"):
        open_engine(copies["none"], chat_format="nope").wait_loaded()


def test_a_template_that_fails_is_an_error_answer_naming_the_fix(copies, open_engine,
                                                                  store) -> None:
    status, content, error = answer(open_engine(copies["raising"]), store)
    assert (status, content) == (Status.ERROR, "")
    assert error == ("raising.gguf's chat template failed on this conversation (boom); pass "
                     "--chat-format NAME or set chat_format in models.toml")


def test_a_prompt_larger_than_the_context_is_an_error_saying_so(real_engine, store) -> None:
    status, content, error = answer(real_engine, store, "lighthouse " * 3000)
    assert (status, content) == (Status.ERROR, "")
    assert error.startswith("the conversation no longer fits the context window (2048 tokens")
    assert error.endswith("): rewind, start a new session or raise --context")

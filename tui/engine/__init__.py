"""Inference engines. Only tui/engine/llama.py imports llama_cpp."""

from tui.engine.base import Engine, EngineInfo, Generation, GenerationStats, SamplingSettings

__all__ = ["Engine", "EngineInfo", "Generation", "GenerationStats", "SamplingSettings"]

"""Demo data loader (being built)."""

from __future__ import annotations

from tocsin.bootstrap import Tocsin


def load_demo(app: Tocsin, *, incidents: int, seed: int) -> str:
    raise NotImplementedError

"""`tocsin demo`: load a realistic data set."""

from __future__ import annotations

from typing import Annotated

import typer

from tocsin.cli.context import console, open_app
from tocsin.demo.loader import load_demo


def demo(
    incidents: Annotated[int, typer.Option(help="How many incidents to create")] = 400,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data)")] = 7,
) -> None:
    """Load demo customers, teams, services, users and incidents, once per database."""
    with open_app() as tocsin:
        summary = load_demo(tocsin, incidents=incidents, seed=seed)
        console.print(summary)

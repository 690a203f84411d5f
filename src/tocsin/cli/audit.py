"""`tocsin audit verify`."""

from __future__ import annotations

from typing import Annotated

import typer

from tocsin.audit import verify as chain
from tocsin.audit.anchors import Anchor, parse_anchor
from tocsin.cli.context import console, err_console, open_app

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


def _anchor(text: str) -> Anchor:
    try:
        return parse_anchor(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def verify(
    anchor: Annotated[
        list[str] | None,
        typer.Option(
            "--anchor",
            metavar="SEQ:HASH",
            help="An entry and its hash kept off this host (e.g. from an `audit checkpoint` "
            "log line): the chain must still hold it. Repeatable.",
        ),
    ] = None,
) -> None:
    """Exit 0 when the chain is intact; otherwise exit 1 naming the first bad entry or
    checkpoint. Checks every entry with the audit key, the signed checkpoints, and anchors."""
    anchors = [_anchor(text) for text in anchor or []]
    with open_app() as tocsin:
        result = chain.verify(tocsin.db, key=tocsin.audit_key, anchors=anchors)
    if result.problem is None:
        console.print(_summary(result))
        return
    where = f" at entry {result.problem.seq}" if result.problem.seq is not None else ""
    err_console.print(f"Audit chain BROKEN{where}: {result.problem.reason}")
    raise typer.Exit(1)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _summary(result: chain.VerifyResult) -> str:
    checked = [
        _count(result.entries, "entry", "entries"),
        _count(result.checkpoints, "checkpoint", "checkpoints"),
        _count(result.anchors, "anchor", "anchors"),
    ]
    lines = [f"Audit chain intact: {', '.join(checked)} checked."]
    if result.seal is not None and result.seal.legacy_seq:
        lines.append(
            f"Entries 1-{result.seal.legacy_seq} were written before the chain was keyed "
            f"(plain SHA-256), sealed {result.seal.at.isoformat()}."
        )
    newest = result.newest
    if newest is None:
        lines.append("No checkpoint yet (the engine signs one when the chain has moved).")
    else:
        lines.append(
            f"Newest checkpoint: {newest.number} at {newest.at.isoformat()}, vouching for "
            f"entry {newest.seq}. Keep it off this host, to check later with:"
        )
        lines.append(f"  --anchor {newest.seq}:{newest.hash}")
    return "\n".join(lines)

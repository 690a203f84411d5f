"""The per-install secret and the SQLite files are private to Tocsin's user from their
first byte; the repository carries no secret."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tocsin.bootstrap import build
from tocsin.core.private_files import read_or_create_secret
from tocsin.db.engine import build_engine
from tocsin.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that hides nothing: only the mode Tocsin asks for protects the files."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_secret_is_created_private_before_anything_is_written(
    tmp_path: Path, open_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    real_write = os.write

    def write(fd: int, data: Any) -> int:
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    app = build(Settings(database_url=f"sqlite:///{tmp_path / 'tocsin.db'}", engine_enabled=False))
    try:
        secret_file = tmp_path / "tocsin.db.secret"
        assert seen == [0o600]  # the secret's bytes went into a file that was already private
        assert mode(secret_file) == 0o600
        assert secret_file.read_text().strip() == app.secret_key
        assert len(app.secret_key) >= 40
    finally:
        app.dispose()


def test_each_install_gets_its_own_secret_and_keeps_it(tmp_path: Path) -> None:
    def secret_of(folder: Path) -> str:
        folder.mkdir(exist_ok=True)
        app = build(Settings(database_url=f"sqlite:///{folder / 'tocsin.db'}"))
        app.dispose()
        return app.secret_key

    first = secret_of(tmp_path / "a")
    assert secret_of(tmp_path / "a") == first  # kept across restarts
    assert secret_of(tmp_path / "b") != first  # another install, another secret


def test_processes_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    path = tmp_path / "shared.secret"
    with ThreadPoolExecutor(max_workers=8) as pool:
        secrets = set(pool.map(lambda _: read_or_create_secret(path), range(32)))
    assert len(secrets) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.secret"]  # no leftovers


def test_an_emptied_secret_file_is_an_error_not_a_new_secret(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.db.secret"
    path.write_text("\n")
    with pytest.raises(ValueError, match="is empty"):
        read_or_create_secret(path)


def test_a_new_database_and_its_wal_and_shm_are_private(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "tocsin.db"
    engine = build_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        with engine.connect() as connection:  # a reader keeps the WAL and shm open
            connection.execute(text("SELECT * FROM t")).all()
            for name in ("tocsin.db", "tocsin.db-wal", "tocsin.db-shm"):
                assert mode(tmp_path / name) == 0o600, name
    finally:
        engine.dispose()


def test_a_shared_existing_file_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tocsin.db.secret"
    path.write_text("an-old-secret\n")
    path.chmod(0o644)
    assert read_or_create_secret(path) == "an-old-secret"
    assert "chmod 600" in caplog.text


def test_the_repository_carries_no_secret() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [name for name in tracked if name.endswith(".secret")]
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "tocsin.db.secret"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0

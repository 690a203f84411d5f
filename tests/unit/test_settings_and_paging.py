"""Settings come from TOCSIN_CONFIG and TOCSIN_* (environment wins); cursors round-trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.core.errors import ValidationFailed
from tocsin.core.paging import decode_cursor, encode_cursor, offset_from
from tocsin.settings import load_settings


def test_environment_overrides_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "tocsin.toml"
    config.write_text('database_url = "sqlite:///from-file.db"\nport = 9000\nauto_close_days = 3\n')
    monkeypatch.setenv("TOCSIN_CONFIG", str(config))
    monkeypatch.setenv("TOCSIN_PORT", "9100")
    settings = load_settings()
    assert settings.database_url == "sqlite:///from-file.db"
    assert settings.port == 9100
    assert settings.auto_close_days == 3


def test_missing_config_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_CONFIG", "/nonexistent/tocsin.toml")
    with pytest.raises(ValueError, match="not a file"):
        load_settings()


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOCSIN_CONFIG", raising=False)
    for key in ("TOCSIN_DATABASE_URL", "TOCSIN_PORT"):
        monkeypatch.delenv(key, raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite:///./tocsin.db"
    assert settings.port == 8000


def test_cursor_round_trip() -> None:
    assert decode_cursor(encode_cursor(["2026-01-01T00:00:00+00:00", 42])) == [
        "2026-01-01T00:00:00+00:00",
        42,
    ]
    assert offset_from(encode_cursor([50])) == 50
    assert offset_from(None) == 0


@pytest.mark.parametrize("garbage", ["!!!", "bm90IGpzb24", "e30"])
def test_garbage_cursor_is_a_validation_error(garbage: str) -> None:
    with pytest.raises(ValidationFailed):
        offset_from(garbage)

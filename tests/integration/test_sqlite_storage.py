"""SQLite storage: new files get small pages; the WAL is copied back by the checkpoint
thread, not by the writers, and stays bounded under writes that never pause."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import START
from tocsin.core.clock import FrozenClock
from tocsin.db import engine as engine_module
from tocsin.db.checkpoint import WAL_RESTART_BYTES
from tocsin.db.engine import SQLITE_PAGE_SIZE, build_engine
from tocsin.db.session import Database
from tocsin.db.writelock import TurnLock


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(build_engine(f"sqlite:///{tmp_path / 'wal.db'}"), FrozenClock(START))
    with database.unit_of_work() as uow:
        uow.session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)"))
    yield database
    database.close()


def write(db: Database, rows: int = 1) -> None:
    with db.unit_of_work() as uow:
        for _ in range(rows):
            uow.session.execute(text("INSERT INTO t (body) VALUES (randomblob(3000))"))


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def wal_bytes(path: str) -> int:
    wal = Path(path + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_a_new_database_gets_small_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as connection:  # made elsewhere, with SQLite's default pages
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
    default = sqlite3.connect(old).execute("PRAGMA page_size").fetchone()[0]
    for path, expected in ((tmp_path / "new.db", SQLITE_PAGE_SIZE), (old, default)):
        db = Database(build_engine(f"sqlite:///{path}"), FrozenClock(START))
        try:
            with db.unit_of_work() as uow:
                uow.session.execute(
                    text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body BLOB)")
                )
            write(db, rows=3)
            with db.read() as session:
                assert session.execute(text("PRAGMA page_size")).scalar() == expected
                assert session.execute(text("SELECT count(*) FROM t")).scalar() == 3
        finally:
            db.close()
    assert default != SQLITE_PAGE_SIZE


def test_writers_do_not_checkpoint_the_thread_does(db: Database) -> None:
    checkpointer = db.checkpointer
    assert checkpointer is not None
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    before = Path(checkpointer.path).stat().st_size
    for _ in range(50):
        write(db)
    # 50 rows of 3 KB are in the WAL; the thread copies them into the database file
    assert eventually(lambda: Path(checkpointer.path).stat().st_size >= before + 50 * 3000)
    assert eventually(lambda: checkpointer.passes > 0)  # counted once its pass returns


def test_the_log_rewinds_under_writes_that_never_pause(tmp_path: Path) -> None:
    # Passive passes alone never catch up with a writer that does not pause, so the log
    # would keep every frame written. The thread's pass under the write lock lets it start
    # over; the writer takes the lock again the moment it lets go, and the thread must
    # still get its turn between two commits. How large the log grows with and without
    # that pass: bench/wal_bound.py.
    db = Database(build_engine(f"sqlite:///{tmp_path / 'busy.db'}"), FrozenClock(START))
    try:
        with db.unit_of_work() as uow:
            uow.session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)"))
        checkpointer = db.checkpointer
        assert checkpointer is not None
        checkpointer.interval, checkpointer.restart_frames = 0.002, 64
        deadline = time.monotonic() + 60
        while checkpointer.rewinds < 3 and time.monotonic() < deadline:
            write(db, rows=2)  # back to back: the log is never idle when a pass ends
        assert checkpointer.rewinds >= 3
    finally:
        db.close()


def test_threads_take_the_write_lock_in_turn() -> None:
    """A thread that lets go of the lock and asks again waits behind one already waiting."""
    lock = TurnLock()
    order: list[str] = []

    def other() -> None:
        with lock:
            order.append("other")

    with lock:
        thread = threading.Thread(target=other)
        thread.start()
        assert eventually(lambda: lock.waiting == 1)
        with lock:  # re-entrant: the owner goes on
            order.append("owner, nested")
    with lock:
        order.append("owner again")
    thread.join()
    assert order == ["owner, nested", "other", "owner again"]


def test_a_thread_that_stops_waiting_does_not_keep_its_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C in a waiting thread: the threads after it still get the lock."""
    lock = TurnLock()
    real_wait = lock._changed.wait

    def interrupted(timeout: float | None = None) -> bool:
        raise KeyboardInterrupt

    got: list[str] = []

    def wait_for_it() -> None:
        with lock:
            got.append("later thread")

    with lock:
        monkeypatch.setattr(lock._changed, "wait", interrupted)
        with pytest.raises(KeyboardInterrupt):
            lock_in_other_thread_interrupted(lock)
        monkeypatch.setattr(lock._changed, "wait", real_wait)
        later = threading.Thread(target=wait_for_it)
        later.start()
        assert eventually(lambda: lock.waiting == 1)
    later.join(timeout=10)
    assert got == ["later thread"]
    assert lock.waiting == 0


def lock_in_other_thread_interrupted(lock: TurnLock) -> None:
    """Ask for the lock from another thread whose wait is interrupted; re-raise here."""
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            with lock:
                pass
        except BaseException as exc:  # the interruption, carried back to the test
            errors.append(exc)

    thread = threading.Thread(target=ask)
    thread.start()
    thread.join(timeout=10)
    if errors:
        raise errors[0]


def test_the_thread_stops_when_idle_and_the_next_commit_starts_it(db: Database) -> None:
    checkpointer = db.checkpointer
    assert checkpointer is not None
    checkpointer.interval, checkpointer.idle_after = 0.005, 0.05
    write(db)
    assert checkpointer.running
    assert eventually(lambda: not checkpointer.running)
    write(db)
    assert checkpointer.running
    assert eventually(lambda: not checkpointer.running)


def test_a_pass_under_the_write_lock_lets_the_next_writer_rewind(db: Database) -> None:
    checkpointer = db.checkpointer
    assert checkpointer is not None
    checkpointer.stop()  # passes are driven by hand below
    for _ in range(40):
        write(db)
    connection = sqlite3.connect(checkpointer.path)
    try:
        checkpointer.restart_frames = 20
        checkpointer.step(connection)
        assert checkpointer.rewinds == 1
        write(db)
        frames = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        assert frames < 10  # the log started over: one commit's frames, not 40 commits'
    finally:
        connection.close()


def test_the_log_rewinds_at_the_same_size_whatever_the_page_size(tmp_path: Path) -> None:
    """The limit is a size: as many frames of a file's own pages as make WAL_RESTART_BYTES."""
    old = tmp_path / "old.db"
    made = sqlite3.connect(old)
    made.execute("PRAGMA page_size=4096")
    made.execute("VACUUM")
    made.close()
    for path, frames in (
        (tmp_path / "new.db", WAL_RESTART_BYTES // SQLITE_PAGE_SIZE),
        (old, WAL_RESTART_BYTES // 4096),
    ):
        database = Database(build_engine(f"sqlite:///{path}"), FrozenClock(START))
        try:
            with database.unit_of_work() as uow:
                uow.raw.run("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            checkpointer = database.checkpointer
            assert checkpointer is not None
            checkpointer.stop()
            connection = sqlite3.connect(path)
            try:
                checkpointer.step(connection)
            finally:
                connection.close()
            assert checkpointer.restart_frames == frames
        finally:
            database.close()


def test_close_copies_everything_back(tmp_path: Path) -> None:
    path = tmp_path / "closed.db"
    db = Database(build_engine(f"sqlite:///{path}"), FrozenClock(START))
    with db.unit_of_work() as uow:
        uow.session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)"))
    for _ in range(20):
        write(db)
    db.close()
    assert wal_bytes(str(path)) == 0
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM t").fetchone()[0] == 20


def test_writers_on_threads_and_the_checkpointer_lose_nothing(db: Database) -> None:
    checkpointer = db.checkpointer
    assert checkpointer is not None
    checkpointer.interval, checkpointer.restart_frames = 0.001, 32
    threads = [threading.Thread(target=lambda: [write(db) for _ in range(200)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with db.read() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 800
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_the_log_gives_back_what_a_long_read_made_it_grow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reader's snapshot holds back every checkpoint, so the WAL grows past its usual
    # size; once the reader is done and the log starts over, the file shrinks back to the
    # limit instead of keeping its largest size until Tocsin stops.
    limit = 256 * 1024
    monkeypatch.setattr(engine_module, "SQLITE_WAL_LIMIT", limit)
    path = tmp_path / "grown.db"
    db = Database(build_engine(f"sqlite:///{path}"), FrozenClock(START))
    try:
        with db.unit_of_work() as uow:
            uow.session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)"))
        checkpointer = db.checkpointer
        assert checkpointer is not None
        checkpointer.restart_frames = 64
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM t").fetchone()  # a long read, e.g. a backup
        for _ in range(100):
            write(db, rows=10)
        grown = wal_bytes(str(path))
        assert grown > 4 * limit
        reader.execute("COMMIT")
        reader.close()
        # the thread catches up, the log starts over, and the next writer trims the file
        assert eventually(lambda: (write(db), wal_bytes(str(path)) <= limit)[1])
    finally:
        db.close()

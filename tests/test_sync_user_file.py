"""``vtab sync`` into a file holding a table of the user's own under a synced name: the sync never changes
it, and each task that would write there fails naming the table and the fix, not a bare SQL error."""

from __future__ import annotations

from pathlib import Path

import apsw

from tests.orgs import REGIONS, Org
from vtab.emulator import Emulator
from vtab.sync import sync


def test_a_users_own_table_of_a_synced_name_is_left_alone_and_named(
    emulator: Emulator, org: Org, tmp_path: Path
) -> None:
    out = tmp_path / "mine.db"
    db = apsw.Connection(str(out))
    db.execute("CREATE TABLE logs_log_groups (log_group_name TEXT PRIMARY KEY, note TEXT)")
    names = {name for account in org.accounts for names in account.log_groups.values() for name in names}
    db.executemany("INSERT INTO logs_log_groups VALUES (?, 'mine')", [(name,) for name in names])
    before = db.execute("SELECT * FROM logs_log_groups ORDER BY 1").fetchall()
    db.close()
    summary = sync(
        str(out),
        tables="logs_log_groups",
        endpoint_url=emulator.endpoint_url,
        regions=",".join(REGIONS),
        accounts="org",
    )
    assert summary.tasks_done == 0
    written = [failure for failure in summary.failures if failure["error_code"] != "AccessDenied"]
    assert written
    for failure in written:
        assert failure["error_code"] == "SyncTableError"
        message = failure["error_message"]
        assert "table logs_log_groups of" in message and "not made by vtab sync" in message, message
        assert "_vtab_identifier" in message and "sync into another file" in message, message
    db = apsw.Connection(str(out))
    assert db.execute("SELECT * FROM logs_log_groups ORDER BY 1").fetchall() == before
    columns = [row[1] for row in db.execute("PRAGMA table_info(logs_log_groups)")]
    assert columns == ["log_group_name", "note"]
    indexes = db.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'logs_log_groups'"
    )
    assert [row[0] for row in indexes] == ["sqlite_autoindex_logs_log_groups_1"]

"""``vtab_diff`` and ``vtab diff``: what changed between two syncs, through real SQL and the real command.

The sync files are written with plain SQL in vtab sync's file contract (tests/syncfiles.py); the diff reads
them read-only through its own connection. The command runs in-process (vtab.cli.main.main).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import apsw
import pytest
from readhelpers import docs_sql_blocks
from syncfiles import ACCOUNT, REGION, resource, write_sync

import vtab
from vtab.cli import main as cli

T1 = "2026-12-05T10:00:00.000Z"
T2 = "2026-12-06T10:00:00.000Z"
T3 = "2026-12-07T10:00:00.000Z"
OTHER = "222222222222"


def changes(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` (over vtab_diff) on a fresh vtab connection."""
    db = vtab.connect()
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def by_identifier(rows: list[tuple[Any, ...]]) -> dict[Any, tuple[str, Any]]:
    """identifier -> (change, patch as a list), from SELECT change, identifier, patch."""
    return {identifier: (change, json.loads(patch) if patch else None) for change, identifier, patch in rows}


@pytest.fixture
def two_syncs(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "monday.db", tmp_path / "tuesday.db"
    cluster = {
        "name": "prod",
        "version": "1.30",
        "logging": {"ClusterLogging": {"EnabledTypes": [{"Type": "api"}]}},
    }
    write_sync(
        old,
        T1,
        {
            "eks_clusters": [
                resource("prod", **cluster),
                resource("gone", name="gone", version="1.29"),
                resource("same", name="same", version="1.30", tags=[{"Key": "a", "Value": "1"}]),
            ]
        },
    )
    changed = cluster | {
        "logging": {"ClusterLogging": {"EnabledTypes": [{"Type": "api"}, {"Type": "audit"}]}}
    }
    write_sync(
        new,
        T2,
        {
            "eks_clusters": [
                resource("prod", **changed | {"version": "1.31"}),
                resource("same", name="same", version="1.30", tags=[{"Value": "1", "Key": "a"}]),
                resource("fresh", name="fresh", version="1.31"),
            ]
        },
    )
    return old, new


def test_added_removed_and_changed_with_a_patch_inside_the_json(two_syncs: tuple[Path, Path]) -> None:
    old, new = two_syncs
    rows = changes("SELECT change, identifier, patch FROM vtab_diff(?, ?)", str(old), str(new))
    assert by_identifier(rows) == {
        "fresh": ("added", None),
        "gone": ("removed", None),
        "prod": (
            "changed",
            [
                {"op": "replace", "path": "/version", "value": "1.31"},
                {"op": "add", "path": "/logging/ClusterLogging/EnabledTypes/1", "value": {"Type": "audit"}},
            ],
        ),
    }  # "same": its tags' text differs (key order), the JSON it holds does not: no change


def test_every_change_names_its_table_account_and_region(two_syncs: tuple[Path, Path]) -> None:
    old, new = two_syncs
    rows = changes(
        "SELECT DISTINCT table_name, account_id, region, reason FROM vtab_diff(?, ?)", str(old), str(new)
    )
    assert rows == [("eks_clusters", ACCOUNT, REGION, None)]


def test_an_append_file_compares_its_last_two_synced_times(tmp_path: Path) -> None:
    history = tmp_path / "history.db"
    write_sync(history, T1, {"eks_clusters": [resource("a", version="1.28")]})
    write_sync(history, T2, {"eks_clusters": [resource("a", version="1.29")]})
    write_sync(history, T3, {"eks_clusters": [resource("a", version="1.30"), resource("b", version="1.30")]})
    latest = changes("SELECT change, identifier, patch FROM vtab_diff(?)", str(history))
    assert by_identifier(latest) == {
        "a": ("changed", [{"op": "replace", "path": "/version", "value": "1.30"}]),
        "b": ("added", None),
    }
    first_two = changes(
        "SELECT change, identifier, patch FROM vtab_diff(?, NULL, ?, ?)", str(history), T1, T2
    )
    assert by_identifier(first_two) == {
        "a": ("changed", [{"op": "replace", "path": "/version", "value": "1.29"}])
    }
    # a time between two syncs reads the file as of then: T1's rows
    as_of = changes(
        "SELECT change, identifier, patch FROM vtab_diff(?, NULL, ?, ?)",
        str(history),
        "2026-12-05T23:00:00Z",
        T3,
    )
    assert by_identifier(as_of)["a"] == ("changed", [{"op": "replace", "path": "/version", "value": "1.30"}])


def test_a_later_sync_that_found_nothing_removes_the_place_s_resources(tmp_path: Path) -> None:
    history = tmp_path / "history.db"
    write_sync(history, T1, {"eks_clusters": [resource("a"), resource("b", region="eu-west-1")]})
    write_sync(
        history,
        T2,
        {"eks_clusters": [resource("b", region="eu-west-1")]},
        empty_places=[("eks_clusters", ACCOUNT, REGION)],
    )
    rows = changes("SELECT change, identifier, region FROM vtab_diff(?)", str(history))
    assert rows == [("removed", "a", REGION)]


def test_places_not_synced_completely_are_left_out_as_unknown(
    two_syncs: tuple[Path, Path], tmp_path: Path
) -> None:
    old, new = two_syncs
    write_sync(old, T1, {"eks_clusters": [resource("x", account=OTHER, name="x")]})  # OTHER done in OLD ...
    write_sync(
        new,
        T2,
        {"eks_clusters": [resource("y", account=OTHER, name="y")]},
        statuses={("eks_clusters", OTHER, REGION): "failed", ("eks_clusters", OTHER, "eu-west-1"): "pending"},
    )  # ... failed in NEW (no rows), and a place pending in NEW that OLD never synced
    rows = changes(
        "SELECT change, account_id, region, identifier, reason FROM vtab_diff(?, ?)", str(old), str(new)
    )
    unknown = [row for row in rows if row[0] == "unknown"]
    assert unknown == [
        ("unknown", OTHER, "eu-west-1", None, "OLD: not synced (no task in _vtab_sync); NEW: pending"),
        ("unknown", OTHER, REGION, None, "NEW: failed: AccessDenied: not authorized to list"),
    ]
    assert not [row for row in rows if row[1] == OTHER and row[0] != "unknown"]  # x is not "removed"
    assert {row[3] for row in rows if row[0] != "unknown"} == {"fresh", "gone", "prod"}


def test_a_task_not_started_yet_leaves_its_place_out_of_the_latest_version(tmp_path: Path) -> None:
    """A sync still running: its pending task has no started_at yet, and is the place's latest task."""
    history = tmp_path / "history.db"
    write_sync(history, T1, {"eks_clusters": [resource("a"), resource("b", region="eu-west-1")]})
    write_sync(
        history,
        T2,
        {"eks_clusters": [resource("b", region="eu-west-1", version="2")]},
        statuses={("eks_clusters", ACCOUNT, REGION): "pending"},
    )
    db = apsw.Connection(str(history))
    db.execute("UPDATE _vtab_sync SET started_at = NULL WHERE status = 'pending'")
    db.close()
    rows = changes("SELECT change, region, identifier, reason FROM vtab_diff(?)", str(history))
    assert rows == [
        ("unknown", REGION, None, "NEW: pending"),
        ("changed", "eu-west-1", "b", None),
    ]


def test_a_table_in_one_file_only_is_added_or_removed_where_its_tasks_are_done(tmp_path: Path) -> None:
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    write_sync(old, T1, {"eks_clusters": [resource("a")]})
    write_sync(new, T2, {"eks_clusters": [resource("a")], "logs_log_groups": [resource("/aws/lambda/f")]})
    write_sync(old, T1, {}, empty_places=[("logs_log_groups", ACCOUNT, REGION)])  # synced, found none
    rows = changes("SELECT change, table_name, identifier FROM vtab_diff(?, ?)", str(old), str(new))
    assert rows == [("added", "logs_log_groups", "/aws/lambda/f")]
    rows = changes("SELECT change, table_name, identifier FROM vtab_diff(?, ?)", str(new), str(old))
    assert rows == [("removed", "logs_log_groups", "/aws/lambda/f")]


def test_a_column_added_between_versions_is_compared_absent_as_null(tmp_path: Path) -> None:
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    write_sync(old, T1, {"eks_clusters": [resource("a", name="a"), resource("b", name="b")]})
    write_sync(
        new,
        T2,
        {
            "eks_clusters": [
                resource("a", name="a", zonal_shift_config=None),
                resource("b", name="b", zonal_shift_config={"Enabled": True}),
            ]
        },
    )
    rows = changes("SELECT change, identifier, patch FROM vtab_diff(?, ?)", str(old), str(new))
    assert by_identifier(rows) == {
        "b": ("changed", [{"op": "add", "path": "/zonal_shift_config", "value": {"Enabled": True}}])
    }


def test_tables_picks_tables_by_glob(two_syncs: tuple[Path, Path]) -> None:
    old, new = two_syncs
    write_sync(new, T2, {"logs_log_groups": [resource("/g")]})
    write_sync(old, T1, {}, empty_places=[("logs_log_groups", ACCOUNT, REGION)])
    every = changes("SELECT DISTINCT table_name FROM vtab_diff(?, ?)", str(old), str(new))
    assert every == [("eks_clusters",), ("logs_log_groups",)]
    picked = changes(
        "SELECT DISTINCT table_name FROM vtab_diff(?, ?, NULL, NULL, 'logs_*')", str(old), str(new)
    )
    assert picked == [("logs_log_groups",)]


def test_tables_matching_no_table_of_either_file_are_an_error_not_an_empty_diff(
    two_syncs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in the globs would otherwise print no change at all, as if nothing had changed."""
    old, new = two_syncs
    with pytest.raises(
        apsw.SQLError, match=r"tables \(--tables\) 'ek_\*' matches no table of .*monday\.db or"
    ):
        changes("SELECT * FROM vtab_diff(?, ?, NULL, NULL, 'ek_*')", str(old), str(new))
    status, out, err = run(capsys, str(old), str(new), "--tables", "ek_*,logs_*")
    assert (status, out) == (1, "")
    assert "'ek_*,logs_*' matches no table" in err and "leave it out to compare every table" in err
    # one glob of several matching is a diff of what it matches
    status, out, _ = run(capsys, str(old), str(new), "--tables", "ek_*,eks_*", "--format", "jsonl")
    assert status == 0 and len(out.splitlines()) == 3


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda path: None, "no such file"),
        (lambda path: path.write_bytes(b"not a database at all, just text" * 10), "not a SQLite database"),
        (
            lambda path: apsw.Connection(str(path)).execute("CREATE TABLE t(x)"),
            "not a vtab sync file (it has no _vtab_sync table)",
        ),
    ],
)
def test_a_path_that_is_no_sync_file_is_an_error_naming_it(
    tmp_path: Path, two_syncs: tuple[Path, Path], make: Any, needle: str
) -> None:
    bad = tmp_path / "bad.db"
    make(bad)
    with pytest.raises(apsw.SQLError) as caught:
        changes("SELECT * FROM vtab_diff(?, ?)", str(two_syncs[0]), str(bad))
    assert str(caught.value).startswith(f"{bad}: {needle}")


def test_the_files_are_opened_read_only(two_syncs: tuple[Path, Path]) -> None:
    old, new = two_syncs
    before = (old.read_bytes(), new.read_bytes())
    changes("SELECT * FROM vtab_diff(?, ?)", str(old), str(new))
    assert (old.read_bytes(), new.read_bytes()) == before
    assert not list(old.parent.glob("*-journal")) and not list(old.parent.glob("*-wal"))


def test_times_a_file_has_not_synced_are_errors_listing_its_times(tmp_path: Path) -> None:
    history = tmp_path / "history.db"
    write_sync(history, T2, {"eks_clusters": [resource("a")]})
    with pytest.raises(apsw.SQLError) as caught:
        changes("SELECT * FROM vtab_diff(?)", str(history))
    assert "one file compares two of its synced times, and it has 1" in str(caught.value)
    assert "2026-12-06T10:00:00Z" in str(caught.value)
    with pytest.raises(apsw.SQLError) as caught:
        changes("SELECT * FROM vtab_diff(?, NULL, ?, ?)", str(history), T1, T2)
    assert f"synced nothing at or before from_time (--from) {T1[:19]}" in str(caught.value)
    with pytest.raises(apsw.SQLError, match="'yesterday' is not an ISO 8601 time"):
        changes("SELECT * FROM vtab_diff(?, NULL, 'yesterday')", str(history))


def test_vtab_diff_without_the_old_file_says_how_to_call_it() -> None:
    with pytest.raises(apsw.SQLError, match=r"vtab_diff needs the old sync file: SELECT \* FROM vtab_diff"):
        changes("SELECT * FROM vtab_diff")
    with pytest.raises(
        apsw.SQLError, match=r"vtab_diff: old_file is NULL; vtab_diff needs the old sync file"
    ):
        changes("SELECT * FROM vtab_diff(NULL)")


# --- trust: a file's schema cannot make it read files --------------------------------------------------


@pytest.mark.parametrize(
    "stored",
    [
        "CREATE VIEW peek AS SELECT * FROM vtab_diff('{old}', '{new}')",
        "CREATE TRIGGER peek AFTER INSERT ON notes BEGIN "
        "INSERT INTO notes SELECT identifier FROM vtab_diff('{old}', '{new}'); END",
    ],
)
def test_a_view_or_trigger_stored_in_a_file_cannot_use_vtab_diff(
    tmp_path: Path, two_syncs: tuple[Path, Path], stored: str
) -> None:
    old, new = two_syncs
    handed = tmp_path / "handed.db"
    plain = apsw.Connection(str(handed))
    plain.execute("CREATE TABLE notes(note TEXT)")
    plain.execute(stored.format(old=old, new=new))
    plain.close()
    db = vtab.connect(str(handed))
    sql = "SELECT * FROM peek" if "VIEW" in stored else "INSERT INTO notes VALUES ('hi')"
    with pytest.raises(apsw.SQLError, match='unsafe use of virtual table "vtab_diff"'):
        db.execute(sql).fetchall()
    # direct-only: refused even once SQL turns SQLite's trusted_schema back on (the option did not)
    db.execute("PRAGMA trusted_schema = ON")
    with pytest.raises(apsw.SQLError, match='unsafe use of virtual table "vtab_diff"'):
        db.execute(sql).fetchall()
    # your own TEMP view still reads it
    db.execute(f"CREATE TEMP VIEW mine AS SELECT * FROM vtab_diff('{old}', '{new}')")
    assert len(db.execute("SELECT * FROM mine").fetchall()) == 3
    db.close()


# --- the command ---------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(["diff", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_command_prints_json_one_object_per_change(
    capsys: pytest.CaptureFixture[str], two_syncs: tuple[Path, Path]
) -> None:
    old, new = two_syncs
    status, out, err = run(capsys, str(old), str(new), "--format", "json")
    assert (status, err) == (0, "")
    objects = {item["identifier"]: item for item in json.loads(out)}
    assert objects["fresh"] == {
        "change": "added",
        "table": "eks_clusters",
        "account_id": ACCOUNT,
        "region": REGION,
        "identifier": "fresh",
        "patch": None,
        "reason": None,
    }
    assert objects["gone"]["change"] == "removed"
    assert objects["prod"]["patch"][0] == {"op": "replace", "path": "/version", "value": "1.31"}


def test_the_command_prints_csv_and_a_table(
    capsys: pytest.CaptureFixture[str], two_syncs: tuple[Path, Path]
) -> None:
    old, new = two_syncs
    status, out, _ = run(capsys, str(old), str(new), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert status == 0 and [row["change"] for row in rows] == ["added", "removed", "changed"]
    assert json.loads(rows[2]["patch"])[0]["path"] == "/version"
    status, out, _ = run(capsys, str(old), str(new))
    assert out.splitlines()[0].split() == [
        "change",
        "table",
        "account_id",
        "region",
        "identifier",
        "patch",
        "reason",
    ]
    assert out.rstrip().endswith("(3 rows)")


def test_the_command_names_what_it_left_out_on_stderr_and_in_the_rows(
    capsys: pytest.CaptureFixture[str], two_syncs: tuple[Path, Path]
) -> None:
    old, new = two_syncs
    write_sync(new, T2, {}, statuses={("eks_clusters", OTHER, REGION): "failed"})
    status, out, err = run(capsys, str(old), str(new), "--format", "jsonl")
    assert status == 0
    assert "1 place (table in account/region) not compared" in err
    assert f"eks_clusters in {OTHER}/{REGION}: OLD: not synced (no task in _vtab_sync); NEW: failed" in err
    first = json.loads(out.splitlines()[0])
    assert (first["change"], first["account_id"], first["identifier"]) == ("unknown", OTHER, None)


def test_synced_times_are_shown_as_the_file_keeps_them_and_read_back_alike(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A sync's stamp has milliseconds: shown so (never padded to microseconds), and whole seconds without
    a fraction; the time shown, given back as --from, reads the same version (a time cut to the second
    would come before that sync and read the one before)."""
    history = tmp_path / "history.db"
    write_sync(history, T1, {"eks_clusters": [resource("a", version="1")]})
    write_sync(history, "2026-12-06T10:00:00.772Z", {"eks_clusters": [resource("a", version="2")]})
    write_sync(
        history, "2026-12-07T10:00:00.000Z", {"eks_clusters": [resource("a", version="2"), resource("b")]}
    )
    _, out, err = run(capsys, str(history), "--format", "csv")
    assert err == f"vtab diff: {history} as of 2026-12-06T10:00:00.772Z against as of 2026-12-07T10:00:00Z\n"
    _, again, _ = run(capsys, str(history), "--from", "2026-12-06T10:00:00.772Z", "--format", "csv")
    assert again == out and out.splitlines()[1].startswith("added,eks_clusters,")
    status, _, err = run(capsys, str(history), "--from", "2026-12-01T00:00:00.000250Z")
    assert status == 1
    assert "(--from) 2026-12-01T00:00:00.000250Z: its synced times are 2026-12-05T10:00:00Z, " in err
    assert "2026-12-06T10:00:00.772Z, 2026-12-07T10:00:00Z" in err  # the user's own fraction kept, not cut


def test_the_command_takes_one_append_file_and_its_times(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    history = tmp_path / "history.db"
    write_sync(history, T1, {"eks_clusters": [resource("a", version="1")]})
    write_sync(history, T2, {"eks_clusters": [resource("a", version="2")]})
    write_sync(history, T3, {"eks_clusters": [resource("a", version="2"), resource("b")]})
    _, out, err = run(capsys, str(history), "--format", "json")
    assert [(item["change"], item["identifier"]) for item in json.loads(out)] == [("added", "b")]
    assert err == f"vtab diff: {history} as of 2026-12-06T10:00:00Z against as of 2026-12-07T10:00:00Z\n"
    _, out, _ = run(capsys, str(history), "--from", "2026-12-05T12:00:00Z", "--format", "json")
    assert [item["change"] for item in json.loads(out)] == ["changed", "added"]  # T1 (as of then) against T3
    _, out, _ = run(capsys, str(history), "--from", T1, "--to", T2, "--format", "json")
    assert [item["patch"] for item in json.loads(out)] == [
        [{"op": "replace", "path": "/version", "value": "2"}]
    ]
    _, out, _ = run(capsys, str(history), "--to", T2, "--format", "json")  # --to's predecessor: T1
    assert [item["identifier"] for item in json.loads(out)] == ["a"]
    status, out, err = run(capsys, str(history), "--from", "2026-12-08")  # after its last sync: an error
    assert (status, out) == (1, "")
    assert "(--from) 2026-12-08T00:00:00Z is not before its last synced time 2026-12-07T10:00:00Z" in err


def test_the_command_reports_a_bad_path_with_status_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, err = run(capsys, str(tmp_path / "missing.db"), str(tmp_path / "other.db"))
    assert (status, out) == (1, "")
    assert (
        err.strip()
        == f"vtab diff: error: {tmp_path / 'missing.db'}: no such file; give a file that vtab sync wrote"
    )


# --- docs/diff.md ---------------------------------------------------------------------------------------


def test_the_sql_of_docs_diff_runs_on_two_syncs(
    two_syncs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/diff.md, "From SQL: vtab_diff": its statements, on monday.db and tuesday.db in the working
    directory."""
    monkeypatch.chdir(two_syncs[0].parent)
    ((changed, counts, ops),) = docs_sql_blocks("diff.md", "From SQL: vtab_diff")
    assert [row[2] for row in changes(changed)] == ["prod"]
    assert changes(counts) == [
        ("eks_clusters", "added", 1),
        ("eks_clusters", "changed", 1),
        ("eks_clusters", "removed", 1),
    ]
    assert changes(ops) == [
        ("prod", "replace", "/version"),
        ("prod", "add", "/logging/ClusterLogging/EnabledTypes/1"),
    ]


def test_the_command_and_python_of_docs_diff_print_what_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/diff.md's first example, run on the syncs it describes, prints the page's text; its Python
    example runs."""
    monkeypatch.chdir(tmp_path)
    logging = {"ClusterLogging": {"EnabledTypes": [{"Type": "api"}]}}
    write_sync(
        Path("monday.db"),
        T1,
        {
            "eks_clusters": [
                resource("prod", name="prod", version="1.30", logging=logging),
                resource("gone", name="gone", version="1.29"),
            ]
        },
    )
    logging = {"ClusterLogging": {"EnabledTypes": [{"Type": "api"}, {"Type": "audit"}]}}
    write_sync(
        Path("tuesday.db"),
        T2,
        {
            "eks_clusters": [
                resource("prod", name="prod", version="1.30", logging=logging),
                resource("fresh", name="fresh", version="1.31"),
            ]
        },
    )
    page = (Path(__file__).resolve().parent.parent / "docs" / "diff.md").read_text(encoding="utf-8")
    shown = page.split("```\n$ vtab diff monday.db tuesday.db\n", 1)[1].split("```", 1)[0]
    status, out, _ = run(capsys, "monday.db", "tuesday.db")
    assert (status, out) == (0, shown)
    python = page.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(python, "docs/diff.md", "exec"), {})
    assert "changed prod" in capsys.readouterr().out

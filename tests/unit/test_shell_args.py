"""``vtab shell``'s command line, without a shell: whose each argument is (ours, apsw's, the database and
the SQL) wherever it was given, and SQL given where the database goes (vtab.cli.shellargs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vtab.cli.conventions import CommandError
from vtab.cli.shellargs import split_shell_args, sql_in_place_of_the_database


def test_our_flags_are_taken_out_wherever_they_are() -> None:
    split = split_shell_args(["x.db", "--regions", "us-east-1", "SELECT 1", "--dry-run", "--debug"])
    assert split.ours == ["--regions", "us-east-1", "--dry-run", "--debug"]
    assert split.options == []
    assert split.positional == ["x.db", "SELECT 1"]
    assert not split.want_help


def test_apsw_options_after_the_database_are_moved_before_it_as_sqlite3_reads_them() -> None:
    split = split_shell_args(["x.db", "-csv", "-separator", ";", "SELECT 1"])
    assert split.options == ["-csv", "-separator", ";"]
    assert split.positional == ["x.db", "SELECT 1"]


def test_an_unknown_dash_word_after_the_database_is_sql_as_apsw_reads_it() -> None:
    assert split_shell_args(["x.db", "-1"]).positional == ["x.db", "-1"]
    assert split_shell_args(["-nosuch", "x.db"]).options == ["-nosuch"]  # before it: apsw's to refuse


@pytest.mark.parametrize(
    ("argv", "cmd"),
    [
        (["--cmd", ".mode csv"], "--cmd=.mode csv"),
        (["-cmd", "-- a comment"], "--cmd=-- a comment"),
        (["--cmd=SELECT 1"], "--cmd=SELECT 1"),
    ],
)
def test_cmd_becomes_one_token_with_its_value(argv: list[str], cmd: str) -> None:
    assert split_shell_args(argv).ours == [cmd]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cmd"], "--cmd needs a value: the SQL or .command to run first"),
        (["--regions"], "--regions needs a value"),
    ],
)
def test_a_flag_without_its_value_is_an_error_naming_it(argv: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        split_shell_args(argv)


@pytest.mark.parametrize("token", ["-h", "--help", "-help"])
def test_help_in_any_spelling(token: str) -> None:
    assert split_shell_args(["x.db", token]).want_help


@pytest.mark.parametrize(
    ("argument", "example"),
    [
        ("SELECT * FROM aws_s3_bucket", '"SELECT ..."'),
        ("select 1", '"select ..."'),
        (".tables", ".tables"),
        (".schema aws_s3_bucket", ".schema"),
    ],
)
def test_sql_or_a_dot_command_where_the_database_goes_is_a_usage_error(argument: str, example: str) -> None:
    message = sql_in_place_of_the_database(argument)
    assert message == (
        f"the first argument is the database (DB), and {argument!r} is not one: give the database first "
        f"(vtab shell :memory: {example}, or a file name), or run the SQL with vtab query"
    )


def test_a_long_statement_is_shortened_in_the_message() -> None:
    message = sql_in_place_of_the_database("SELECT " + "x, " * 30 + "y FROM t")
    assert message is not None
    assert "'SELECT x, x, x, x, x, x, x, x, x, x, ...' is not one" in message


@pytest.mark.parametrize(
    "argument", ["x.db", ":memory:", "SELECT", "select.db", "", "  ", ".1", "file:x.db?mode=ro"]
)
def test_a_database_name_is_not_refused(argument: str) -> None:
    assert sql_in_place_of_the_database(argument) is None


def test_a_file_that_exists_under_a_statement_like_name_is_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "select 1").write_bytes(b"")
    assert sql_in_place_of_the_database("select 1") is None

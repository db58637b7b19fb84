"""The ``vtab://`` SQLAlchemy dialect: found through its entry point, every vtab option a query parameter
(checked at create_engine), the inspector seeing vtab's eponymous tables and their hidden columns, Core
reading a reflected vtab table with its WHERE pushed down, and transactions through Core."""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest
import sqlalchemy as sa
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import ArgumentError, NoSuchTableError

import vtab.dbapi
from tests.test_trust_files import hostile
from tests.test_writes_helpers import write_calls
from vtab.emulator import Emulator
from vtab.emulator.seed import Seeded
from vtab.options import Options
from vtab.sqlalchemy.dialect import VTAB_SCHEMA, VtabDialect
from vtab.sqlalchemy.url import connect_arguments
from vtab.sqlite.install import resource_tables


def engine_on(emulator: Emulator, database: str = ":memory:", **query: str) -> sa.Engine:
    url = make_url(f"vtab:///{database}").update_query_dict(
        {"endpoint_url": emulator.endpoint_url, "cache_ttl": "0", **query}
    )
    return sa.create_engine(url)


def test_the_entry_point_gives_vtabs_dialect_and_dbapi() -> None:
    engine = sa.create_engine("vtab:///:memory:")
    assert isinstance(engine.dialect, VtabDialect)
    assert engine.dialect.dbapi is vtab.dbapi
    assert engine.dialect.paramstyle == "qmark"
    assert isinstance(engine.pool, sa.pool.SingletonThreadPool)  # one :memory: database, not one per checkout
    assert isinstance(sa.create_engine("vtab:///inventory.db").pool, sa.pool.QueuePool)


def test_the_issues_example_url_becomes_vtab_connect_arguments() -> None:
    url = make_url("vtab:///inventory.db?regions=us-east-1,eu-west-1&profile=prod")
    assert connect_arguments(url) == {
        "filename": "inventory.db",
        "regions": "us-east-1,eu-west-1",
        "profile": "prod",
    }
    assert connect_arguments(make_url("vtab:////tmp/abs.db"))["filename"] == "/tmp/abs.db"
    assert connect_arguments(make_url("vtab://"))["filename"] == ":memory:"


LIST_SAMPLES = {
    "accounts": "111111111111,222222222222",
    "organizational_units": "ou-ab12-cdef3456",
    "skip_accounts": "111111111111",
    "profiles": "a,b",
}


@pytest.mark.parametrize("name", Options.names())
def test_every_option_is_a_query_parameter(name: str) -> None:
    default = getattr(Options(), name)
    text = ",".join(default) if isinstance(default, tuple) else str(default).lower()
    if name == "regions":
        text = "eu-west-1"
    if default is None:
        text = "none"
    # An empty list default is no value in a URL (SQLAlchemy drops blank parameters): give one.
    text = LIST_SAMPLES.get(name, text) if default == () else text
    given = {"accounts": "org"} if name == "organizational_units" else {}
    query = "&".join(f"{key}={value}" for key, value in {name: text, **given}.items())
    arguments = connect_arguments(make_url(f"vtab:///:memory:?{query}"))
    assert arguments[name] and Options().replace(**{**given, name: arguments[name]}) == Options().replace(
        **{**given, name: text}
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("vtab:///:memory:?region=us-east-1", r"unknown option region; did you mean regions\? \(known"),
        ("vtab:///:memory:?max_workers=2.5", r"option max_workers='2.5' is not a whole number"),
        ("vtab:///:memory:?regions=us-east-9", r"region 'us-east-9' is not an AWS region"),
        ("vtab:///:memory:?profile=a&profile=b", r"gives option profile 2 times \(a, b\); give it once"),
        ("vtab://me:secret@/x.db", r"no user or password"),
        ("vtab://somehost/x.db", r"names host 'somehost'.*three slashes"),
        (
            "vtab:///x.db?endpoint_url=http%3A%2F%2Fme%3Asecret%40proxy%3A8080",
            r"endpoint_url='http://\*\*\*@proxy:8080' carries a user or password.*as http://proxy:8080 ",
        ),
        ("vtab:///x.db?endpoint_url=https%3A%2F%2Fsecret%40proxy", r"give it as https://proxy "),
    ],
)
def test_a_bad_url_fails_create_engine_naming_the_fix(url: str, message: str) -> None:
    with pytest.raises(ArgumentError, match=message) as caught:
        sa.create_engine(url)
    assert "secret" not in str(caught.value)


def test_a_refused_writes_parameters_are_not_printed(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    engine = engine_on(emulator, regions="us-east-1").execution_options(isolation_level="AUTOCOMMIT")
    insert = "INSERT INTO secretsmanager_secrets (name, secret_string) VALUES (?, ?)"
    caplog.set_level("INFO", logger="sqlalchemy.engine")
    engine.echo = True  # the statement log shows parameters too
    with (
        engine.connect() as conn,
        pytest.raises(sa.exc.IntegrityError, match="Name is 600 characters") as caught,
    ):
        conn.exec_driver_sql(insert, ("x" * 600, "hunter2-TOPSECRET"))
    assert "hunter2" not in str(caught.value) and "parameters hidden" in str(caught.value)
    assert "INSERT INTO secretsmanager_secrets" in caplog.text and "hunter2" not in caplog.text
    assert write_calls(emulator) == []


def test_by_default_the_inspector_lists_vtabs_tables_beside_the_files_own(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Issue 20: a BI tool's table picker (get_table_names() of the default schema) shows vtab's tables."""
    path = tmp_path / "inventory.db"
    apsw.Connection(str(path)).execute("CREATE TABLE owners(api_id TEXT, owner TEXT)")
    inspector = sa.inspect(engine_on(emulator, str(path)))
    names = inspector.get_table_names()
    assert "owners" in names
    assert {"eks_clusters", "integration_responses", "vtab_calls", "vtab_types", "vtab_columns"} <= set(names)
    assert set(resource_tables()) <= set(names) and names == sorted(names)
    assert names == inspector.get_table_names(schema="main")
    assert set(inspector.get_table_names(schema=VTAB_SCHEMA)) == set(names) - {"owners"}
    assert inspector.has_table("eks_clusters") and inspector.has_table("owners")
    assert not inspector.has_table("eks_clusterz")
    assert "eks_clusters" not in inspector.get_table_names(schema="temp")
    with pytest.raises(
        ArgumentError, match=r"list_tables='some' is not one of all, own; write list_tables=own"
    ):
        sa.create_engine("vtab:///:memory:?list_tables=some").connect()


def test_the_inspector_lists_vtabs_tables_in_their_own_schema_and_the_files_as_sqlite_does(
    emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "inventory.db"
    apsw.Connection(str(path)).execute(
        "CREATE TABLE owners(api_id TEXT, owner TEXT); CREATE TABLE eks_clusters(name TEXT); "
        "CREATE VIEW mine AS SELECT * FROM owners"
    )
    with pytest.warns(UserWarning, match="hide vtab tables"):
        inspector = sa.inspect(engine_on(emulator, str(path), list_tables="own"))
    sqlite = sa.inspect(sa.create_engine(f"sqlite:///{path}"))
    assert inspector.get_table_names() == sqlite.get_table_names() == ["eks_clusters", "owners"]
    assert inspector.get_view_names() == ["mine"]
    assert inspector.get_schema_names() == ["main", VTAB_SCHEMA]
    names = inspector.get_table_names(schema=VTAB_SCHEMA)
    assert {"integration_responses", "vtab_calls", "vtab_types", "vtab_columns"} <= set(names)
    assert set(resource_tables()) - set(names) == {"eks_clusters"}  # the file's table hides vtab's
    assert names == sorted(names) and inspector.get_view_names(schema=VTAB_SCHEMA) == []
    assert inspector.has_table("integration_responses", schema=VTAB_SCHEMA)
    assert inspector.has_table("integration_responses") and inspector.has_table("owners")
    assert not inspector.has_table("eks_clusterz", schema=VTAB_SCHEMA)
    assert "integration_responses" not in inspector.get_table_names(schema="temp")


@pytest.mark.parametrize("schema", [None, "main", VTAB_SCHEMA])
def test_listing_vtabs_tables_reads_the_files_tables_once(
    emulator: Emulator, tmp_path: Path, schema: str | None
) -> None:
    """get_table_names reads main's tables once (which then hide vtab's of the same name), and its views."""
    path = tmp_path / "inventory.db"
    apsw.Connection(str(path)).execute("CREATE TABLE eks_clusters(name TEXT); CREATE VIEW mine AS SELECT 1")
    engine = engine_on(emulator, str(path))
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with pytest.warns(UserWarning, match="hide vtab tables"):
        names = sa.inspect(engine).get_table_names(schema=schema)
    assert ("eks_clusters" in names) is (schema != VTAB_SCHEMA) and "mine" not in names
    assert len([sql for sql in statements if "type='table'" in sql.replace(" ", "")]) == 1
    assert len([sql for sql in statements if "type='view'" in sql.replace(" ", "")]) == 1


def test_metadata_reflect_reflects_the_files_tables_and_vtabs_when_asked(emulator: Emulator) -> None:
    """With list_tables=own, MetaData.reflect() (and so Alembic's autogenerate) sees the file's tables, not
    1,700 of vtab's; its schema ``vtab`` reflects them, and SQL reads them in main."""
    engine = engine_on(emulator, regions="us-east-1", list_tables="own")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE owners(api_id TEXT PRIMARY KEY, owner TEXT)")
    local = sa.MetaData()
    local.reflect(engine)
    assert list(local.tables) == ["owners"]
    ours = sa.MetaData()
    ours.reflect(engine, schema=VTAB_SCHEMA, only=["integration_responses"])
    table = ours.tables["vtab.integration_responses"]
    assert table.c.data__Identifier.dialect_options["vtab"]["hidden"] is True
    statement = sa.select(sa.func.count()).select_from(table).where(table.c.region == "us-east-1")
    assert "FROM main.integration_responses" in str(statement.compile(engine))
    with engine.connect() as conn:
        assert conn.execute(statement).scalar() == 0


def test_get_columns_includes_hidden_columns_marked_and_described(emulator: Emulator) -> None:
    inspector = sa.inspect(engine_on(emulator))
    columns = {column["name"]: column for column in inspector.get_columns("integration_responses")}
    names = list(columns)
    assert names[:9][-2:] == ["api_id", "region"]  # declared order: properties, region, then hidden ones
    hidden = {
        name for name, column in columns.items() if column.get("dialect_options", {}).get("vtab_hidden")
    }
    assert {"data__Identifier", "data__PatchDocument", "Identifier", "PatchDocument", "ApiId"} <= hidden
    assert "api_id" not in hidden and "region" not in hidden
    assert "Cloud Control's identifier" in str(columns["data__Identifier"]["comment"])
    assert columns["ApiId"]["comment"] == "hidden: api_id under its property's name"
    assert columns["api_id"]["comment"] == "The API identifier.; a listing walks its parent for it"
    table = sa.Table("integration_responses", sa.MetaData(), autoload_with=engine_on(emulator))
    assert table.c.data__Identifier.dialect_options["vtab"]["hidden"] is True
    assert table.c.api_id.dialect_options["vtab"]["hidden"] is False
    assert inspector.get_pk_constraint("eks_clusters")["constrained_columns"] == []
    assert inspector.get_foreign_keys("eks_clusters") == [] and inspector.get_indexes("eks_clusters") == []
    with pytest.raises(NoSuchTableError):
        inspector.get_columns("eks_clusterz")


def test_a_files_table_named_like_a_vtab_table_is_reflected_as_the_files(
    emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "snapshot.db"
    apsw.Connection(str(path)).execute("CREATE TABLE eks_clusters(name TEXT, owner TEXT)")
    with pytest.warns(UserWarning, match="hide vtab tables"):
        columns = sa.inspect(engine_on(emulator, str(path))).get_columns("eks_clusters")
    assert [(c["name"], c.get("comment")) for c in columns] == [("name", None), ("owner", None)]


def test_regexp_match_works_on_a_local_table(emulator: Emulator) -> None:
    """SQLite's REGEXP calls a regexp() the connection must define; SQLAlchemy's SQLite driver defines it,
    and so does vtab's dialect (it was "no such function: REGEXP")."""
    engine = engine_on(emulator)
    notes = sa.Table("notes", sa.MetaData(), sa.Column("text", sa.String))
    with engine.begin() as conn:
        notes.create(conn)
        conn.execute(notes.insert(), [{"text": "eks-prod"}, {"text": "eks-dev"}, {"text": None}])
        matched = conn.execute(sa.select(notes.c.text).where(notes.c.text.regexp_match("prod$")))
        assert matched.scalars().all() == ["eks-prod"]
        assert conn.execute(sa.select(notes.c.text.regexp_match("^eks"))).scalars().all() == [1, 1, None]


def test_core_select_on_a_reflected_table_pushes_the_region_down(emulator: Emulator, seeded: Seeded) -> None:
    engine = engine_on(emulator, regions="us-east-1,eu-west-1")
    table = sa.Table("integration_responses", sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table).where(table.c.region == "us-east-1")).mappings().all()
        calls = conn.exec_driver_sql("SELECT DISTINCT region FROM vtab_calls").scalars().all()
    assert len(rows) == len(seeded.responses) == 12
    assert {row["region"] for row in rows} == {"us-east-1"}
    assert rows[0]["data__Identifier"] and rows[0]["ApiId"] == rows[0]["api_id"]
    assert calls == ["us-east-1"]  # eu-west-1, configured, was never listed: the WHERE reached vtab


def test_writes_through_core_are_sent_when_the_transaction_commits(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api, integration = seeded.integrations[0]
    engine = engine_on(emulator, regions="us-east-1")
    table = sa.Table("integration_responses", sa.MetaData(), autoload_with=engine)
    insert = sa.insert(table).values(
        api_id=api, integration_id=integration, integration_response_key="$default"
    )
    with engine.connect() as conn:
        conn.execute(insert)
        assert write_calls(emulator) == []
        conn.rollback()
    assert write_calls(emulator) == []
    with engine.begin() as conn:
        conn.execute(insert)
    keys = [
        m["IntegrationResponseKey"] for m in emulator.integration_responses("us-east-1", api, integration)
    ]
    assert keys == ["$default"]


def test_begin_nested_writes_wait_for_the_outer_transaction(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api, integration = seeded.integrations[0]
    engine = engine_on(emulator, regions="us-east-1")
    table = sa.Table("integration_responses", sa.MetaData(), autoload_with=engine)

    def insert(key: str) -> sa.Insert:
        return sa.insert(table).values(api_id=api, integration_id=integration, integration_response_key=key)

    with engine.connect() as conn:
        with conn.begin() as outer:
            with conn.begin_nested():  # SAVEPOINT first: its RELEASE must not commit the outer block
                conn.execute(insert("dropped"))
            assert write_calls(emulator) == []
            outer.rollback()
        with conn.begin():
            with conn.begin_nested():
                conn.execute(insert("kept"))
            with conn.begin_nested() as inner:
                conn.execute(insert("undone"))
                inner.rollback()
    keys = [
        m["IntegrationResponseKey"] for m in emulator.integration_responses("us-east-1", api, integration)
    ]
    assert keys == ["kept"]


def test_autocommit_isolation_sends_each_statement_and_allows_returning(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    engine = engine_on(emulator, regions="us-east-1").execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        key = conn.exec_driver_sql(
            "INSERT INTO integration_responses (api_id, integration_id, integration_response_key) "
            "VALUES (?, ?, '$default') RETURNING integration_response_key",
            seeded.integrations[0],
        ).scalar()
    assert key == "$default"
    assert len(emulator.integration_responses("us-east-1", *seeded.integrations[0])) == 1


def test_a_file_opened_through_a_url_still_may_not_choose_credentials(
    emulator: Emulator, tmp_path: Path
) -> None:
    path = hostile(
        tmp_path / "sent-to-you.db",
        "CREATE TABLE notes(x)",
        {"lg": "logs_log_groups(endpoint_url='http://attacker.example')"},
    )
    engine = engine_on(emulator, str(path))
    with engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="may not choose credentials"):
        conn.exec_driver_sql("SELECT * FROM lg WHERE region = 'us-east-1'")
    assert emulator.calls == []

"""pandas and Jupyter end to end against the local endpoint, and docs/python.md ("From Python, pandas and
Jupyter"): each ```python block runs as written, one after the other in one namespace, and each
```ipython block cell by cell in a real IPython shell, with the endpoint given the way boto3 reads it
(AWS_ENDPOINT_URL_CLOUDCONTROL) and the page's inventory.db in a fresh directory."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from IPython.core.interactiveshell import InteractiveShell

from tests.test_docs import ROOT
from vtab.emulator import Emulator
from vtab.emulator.seed import Seeded

PAGE = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(?P<info>python|ipython)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
KEYS = (
    "SELECT api_id, integration_response_key FROM integration_responses WHERE region = 'us-east-1' "
    "ORDER BY 1, 2"
)


@pytest.fixture
def endpoint(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator as boto3's configured Cloud Control endpoint, in a fresh working directory."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDCONTROL", emulator.endpoint_url)
    monkeypatch.chdir(tmp_path)
    return emulator


@pytest.fixture
def ipython() -> Iterator[InteractiveShell]:
    """A real IPython shell, in-process (the one a notebook's kernel runs), torn down afterwards."""
    shell = InteractiveShell.instance()
    try:
        yield shell
    finally:
        if "sql" in shell.magics_manager.magics["line"]:
            shell.run_line_magic("sql", "--close-all")
        InteractiveShell.clear_instance()


def run_cells(shell: InteractiveShell, cells: list[str]) -> tuple[object, str]:
    """Run each cell; the last one's value and everything written to stderr. A cell that fails fails."""
    errors = io.StringIO()
    result = None
    with contextlib.redirect_stderr(errors):
        for cell in cells:
            outcome = shell.run_cell(cell, store_history=False)
            outcome.raise_error()
            result = outcome.result
    return result, errors.getvalue()


def test_read_sql_on_an_engine_gives_rows_without_a_warning(endpoint: Emulator, seeded: Seeded) -> None:
    engine = sa.create_engine("vtab:///:memory:?regions=us-east-1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = pd.read_sql(KEYS, engine)
        by_url = pd.read_sql(KEYS, "vtab:///:memory:?regions=us-east-1")
    assert len(frame) == len(seeded.responses) == 12
    assert list(frame.columns) == ["api_id", "integration_response_key"]
    assert frame.equals(by_url)


def test_to_sql_writes_into_the_file_beside_vtabs_tables_and_joins_them(
    endpoint: Emulator, seeded: Seeded, tmp_path: Path
) -> None:
    engine = sa.create_engine("vtab:///inventory.db?regions=us-east-1")
    apis = sorted({api for api, _ in seeded.integrations})
    pd.DataFrame({"api_id": apis, "team": ["payments", "search"]}).to_sql("mine", engine, index=False)
    joined = pd.read_sql(
        "SELECT m.team, count(*) AS responses FROM mine m JOIN integration_responses r "
        "ON r.api_id = m.api_id AND r.region = 'us-east-1' GROUP BY m.team ORDER BY m.team",
        engine,
    )
    assert joined.to_dict("records") == [
        {"team": "payments", "responses": 6},
        {"team": "search", "responses": 6},
    ]
    engine.dispose()
    stored = sa.create_engine(f"sqlite:///{tmp_path / 'inventory.db'}")
    assert pd.read_sql("SELECT api_id FROM mine ORDER BY 1", stored)["api_id"].tolist() == apis


def test_jupysql_reads_a_vtab_url_in_ipython_with_nothing_on_stderr(
    endpoint: Emulator, seeded: Seeded, ipython: InteractiveShell
) -> None:
    result, stderr = run_cells(
        ipython,
        [
            "%load_ext sql",
            "%config SqlMagic.autopandas = True",
            "%sql vtab:///:memory:?regions=us-east-1",
            f"%sql {KEYS}",
        ],
    )
    assert isinstance(result, pd.DataFrame)
    assert len(result) == len(seeded.responses)
    assert stderr == ""  # no progress line unless asked


def test_loading_jupysql_asks_for_no_missing_package(
    ipython: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a project (a pyproject.toml in the directory) jupysql reads its settings with the toml package:
    the dev extra installs it, so ``%load_ext sql`` reads them (it showed "The 'toml' package isn't
    installed")."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "notebooks"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        _, stderr = run_cells(ipython, ["%load_ext sql", "%sql vtab:///:memory:"])
    assert "isn't installed" not in shown.getvalue() and stderr == ""
    assert "Did not find user configurations in" in shown.getvalue()  # it read the project's pyproject.toml


def test_progress_in_ipython_goes_to_stderr_when_asked(
    endpoint: Emulator, seeded: Seeded, ipython: InteractiveShell
) -> None:
    endpoint.configure(latency=0.2)  # each call takes 0.2 s: the read runs past the half second
    result, stderr = run_cells(
        ipython,
        [
            "%load_ext sql",
            "%config SqlMagic.autopandas = True",
            "%sql vtab:///:memory:?regions=us-east-1&progress=true&max_workers=1",
            f"%sql {KEYS}",
        ],
    )
    assert len(result) == len(seeded.responses)  # type: ignore[arg-type]
    assert "integration_responses" in stderr and "rows" in stderr


def test_every_example_of_the_python_page_runs(
    endpoint: Emulator, seeded: Seeded, ipython: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run_the_page(ipython)
    printed = capsys.readouterr().out
    assert "('api_id', 'TEXT')" in printed
    assert "1 True" in printed and "[('500',)]" in printed
    assert "14 ['us-east-1']" in printed  # 12 seeded, and the 2 responses the example before created
    assert "payments" in printed
    keys = {
        m["IntegrationResponseKey"]
        for m in endpoint.integration_responses("us-east-1", *seeded.integrations[0])
    }
    assert {"403", "500"} <= keys


def test_the_python_pages_examples_run_on_the_demo_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newcomer runs the page's Python on ``vtab emulator --seed demo``, as the README starts it: every
    seeded integration already has the responses $default, 200, 400 and 404, so the page's INSERTs must
    use other keys (a '404' failed with AlreadyExists at commit()). The %sql cells only read."""
    monkeypatch.chdir(tmp_path)
    with Emulator(seed="demo") as emulator:
        seeded = emulator.seed_demo()["us-east-1"]
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDCONTROL", emulator.endpoint_url)
        run_the_page(None)
        keys = {
            m["IntegrationResponseKey"]
            for m in emulator.integration_responses("us-east-1", *seeded.integrations[0])
        }
    assert keys == {"$default", "200", "400", "404", "403", "500"}


def run_the_page(ipython: InteractiveShell | None) -> None:
    """Each ```python block of docs/python.md in one namespace, each ```ipython block cell by cell (none
    without a shell); a warning is an error."""
    blocks = [(m["info"], m["body"]) for m in FENCE.finditer(PAGE)]
    assert [info for info, _ in blocks].count("python") >= 4 and ("ipython", blocks[-1][1]) in blocks
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for info, body in blocks:
            if info == "python":
                exec(compile(body, "docs/python.md", "exec"), namespace)
            elif ipython is not None:
                result, _ = run_cells(ipython, body.splitlines())
                assert isinstance(result, pd.DataFrame) or len(result) == 3  # type: ignore[arg-type]

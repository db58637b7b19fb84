"""The shipped catalog: lazy loading, the hand-verified schemas' precedence, overlays, and that the committed
data is what the generator derives (so an overlay edited without `make catalog` fails here)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import orjson
import pytest

from vtab.catalog.build import has_table
from vtab.catalog.facts import TypeFacts, Verb, compact
from vtab.catalog.list_plan import FeedKind, ListMode
from vtab.catalog.overlays import OverlayError, load_overlays, parse
from vtab.catalog.store import (
    INDEX_FILE,
    TYPES_FOLDER,
    Catalog,
    data_folder,
    hand_verified_schema,
    load_catalog,
)

ROOT = Path(__file__).resolve().parents[2]
IR = "AWS::ApiGatewayV2::IntegrationResponse"


def gen_catalog() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_catalog", ROOT / "scripts" / "gen_catalog.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_index_and_coverage_are_what_the_generator_derives() -> None:
    gen = gen_catalog()
    index = orjson.loads((data_folder() / INDEX_FILE).read_bytes())
    expected_index, expected_coverage = gen.derived(gen.read_facts(), index["source"])
    assert orjson.loads(expected_index) == index, "run `make catalog-derive` after editing overlays"
    assert (ROOT / "docs" / "coverage.md").read_text() == expected_coverage


def test_generator_reads_the_schemas_from_the_wheel_as_a_zip(tmp_path: Path) -> None:
    wheel = tmp_path / "cfn_lint-9.9.9-py3-none-any.whl"
    schema = {
        "typeName": "AWS::Demo::Thing",
        "properties": {"Id": {"type": "string"}, "Doc": {"type": ["object", "string"], "format": "json"}},
        "primaryIdentifier": ["/properties/Id"],
        "handlers": {"list": {"permissions": ["demo:List"]}},
    }
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            "cfnlint/data/schemas/providers/us-east-1.json", json.dumps({"AWS::Demo::Thing": "abc"})
        )
        archive.writestr("cfnlint/data/schemas/resources/abc.json", json.dumps(schema))
    facts, source = gen_catalog().extract(wheel, "us-east-1")
    assert facts == {"AWS::Demo::Thing": compact(schema)}
    assert facts["AWS::Demo::Thing"].properties["Doc"] == {"type": "object"}
    assert (source["cfnLint"], source["region"], source["types"]) == ("9.9.9", "us-east-1", 1)


def test_hand_verified_schemas_are_preferred_and_types_load_from_their_service_file_only(
    tmp_path: Path,
) -> None:
    shipped = load_catalog()
    (tmp_path / TYPES_FOLDER).mkdir()
    wrong = TypeFacts(IR, {"Bogus": {"type": "string"}}, primary_identifier=("Bogus",))
    eks = shipped.facts("AWS::EKS::Nodegroup")
    (tmp_path / TYPES_FOLDER / "apigatewayv2.json").write_bytes(
        orjson.dumps({"types": {IR: wrong.to_json()}})
    )
    (tmp_path / TYPES_FOLDER / "eks.json").write_bytes(
        orjson.dumps({"types": {eks.type_name: eks.to_json()}})
    )
    index = orjson.loads((data_folder() / INDEX_FILE).read_bytes())
    catalog = Catalog(index, tmp_path)  # only two service files exist: the others are never read
    verified = hand_verified_schema(IR)
    assert verified is not None
    assert catalog.facts(IR) == compact(verified)
    assert catalog.facts(IR).primary_identifier == ("ApiId", "IntegrationId", "IntegrationResponseId")
    assert catalog.facts("AWS::EKS::Nodegroup") == eks
    assert catalog.facts("AWS::EKS::Nodegroup").list_schema is not None


def test_unknown_types_and_tables_are_named_in_the_error() -> None:
    catalog = load_catalog()
    with pytest.raises(KeyError, match=r"AWS::Nope::Thing is not in the vtab catalog \(cfn-lint 1\."):
        catalog.facts("AWS::Nope::Thing")
    with pytest.raises(KeyError, match="'nope_things' is not a table of the vtab catalog"):
        catalog.type_of_table("nope_things")


def test_every_provisionable_type_has_a_table_unless_excluded() -> None:
    catalog = load_catalog()
    for type_name in catalog.type_names():
        entry = catalog.entry(type_name)
        facts = catalog.facts(type_name)
        assert (entry.table is not None) == has_table(facts, entry.plan), type_name
        assert entry.verbs == facts.verbs, type_name
        if entry.plan.mode is ListMode.EXCLUDED:
            assert entry.plan.reason, type_name


def test_every_derived_walk_goes_through_listable_parents_that_feed_real_properties() -> None:
    catalog = load_catalog()
    walks = 0
    for type_name in catalog.type_names():
        plan = catalog.entry(type_name).plan
        if plan.mode not in (ListMode.WALK, ListMode.FIXED, ListMode.ACCOUNT_ID):
            assert not plan.chain, type_name
            continue
        walks += plan.mode is ListMode.WALK
        assert all(feed.kind is not FeedKind.WHERE for feed in plan.feeds), type_name
        for parent in plan.chain:
            parent_entry = catalog.entry(parent)
            assert Verb.LIST in parent_entry.verbs, (type_name, parent)
            assert parent_entry.plan.mode in (
                ListMode.REGION_WIDE,
                ListMode.WALK,
                ListMode.FIXED,
                ListMode.ACCOUNT_ID,
            ), (
                type_name,
                parent,
            )
            assert parent_entry.plan.chain == plan.chain[: plan.chain.index(parent)], (type_name, parent)
        for feed in plan.feeds:
            if feed.kind is FeedKind.PARENT:
                assert feed.parent in plan.chain, (type_name, feed)
                assert feed.parent_property in catalog.facts(feed.parent).properties, (type_name, feed)
            elif feed.kind is FeedKind.VALUES:
                assert feed.values, (type_name, feed)
    assert walks > 300


def test_every_type_that_needs_where_names_columns_of_its_table() -> None:
    from vtab.catalog.columns import column_names

    catalog = load_catalog()
    for type_name in catalog.type_names():
        plan = catalog.entry(type_name).plan
        if plan.mode is ListMode.NEEDS_WHERE:
            assert plan.where_columns and plan.reason, type_name
            assert set(plan.where_columns) <= set(column_names(catalog.facts(type_name)).values()), type_name


def test_shipped_overlays_load_and_name_only_catalog_types() -> None:
    overlays = load_overlays()
    catalog = load_catalog()
    assert set(overlays.types) <= set(catalog.type_names())
    for type_overlay in overlays.types.values():
        for fact in type_overlay.inputs.values():
            assert fact.parent is None or fact.parent in catalog.type_names()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[types."AWS::A::B"]\nexclud = "typo"', r"a.toml types.'AWS::A::B': unknown key\(s\) \['exclud'\]"),
        ('[types."AWS::A::B".inputs.X]\nvalues = ["v"]', "every input fact needs a 'why'"),
        ('[types."AWS::A::B".inputs.X]\nvalues = ["v"]\naccount_id = true\nwhy = "w"', "give exactly one of"),
        ('[types."AWS::A::B".inputs.X]\nparent = "AWS::A::P"\nwhy = "w"', "needs the 'property' that feeds"),
        ("[typos]\n", r"unknown top-level key\(s\) \['typos'\]"),
    ],
)
def test_overlay_mistakes_name_the_file_and_key(text: str, message: str) -> None:
    with pytest.raises(OverlayError, match=message):
        parse([("a.toml", text)])


def test_a_type_in_two_overlay_files_is_refused() -> None:
    text = '[types."AWS::A::B"]\nexclude = "x"'
    with pytest.raises(
        OverlayError, match=r"b.toml types.'AWS::A::B': the type has facts in two overlay files"
    ):
        parse([("a.toml", text), ("b.toml", text)])


def test_loading_the_catalog_needs_neither_inflection_nor_cfnlint() -> None:
    """Both are for generating the catalog only; a fresh interpreter proves the runtime never imports them."""
    code = (
        "import sys, vtab.catalog, vtab.catalog.columns\n"
        "c = vtab.catalog.load_catalog(); c.facts('AWS::EKS::Nodegroup'); c.entry('AWS::EKS::Nodegroup')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('inflection', 'cfnlint')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"

"""Pure logic of SQL text: the tokenizer, the StackQL name rewrite, the no-WHERE and placeholder checks."""

from __future__ import annotations

import apsw
import pytest

from vtab.sql.guards import UnfilteredWrite, is_placeholder, unfiltered_write
from vtab.sql.stackql import is_stackql_name, like, no_such_table, rewrite, tables_like
from vtab.sql.tokens import Kind, significant, tokenize

TABLES = {"aws.apigatewayv2.integration_responses": "integration_responses"}
NAME = "aws.apigatewayv2.integration_responses"


def kinds(text: str) -> list[tuple[Kind, str]]:
    return [(token.kind, token.text) for token in tokenize(text)]


# --- tokenizer --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "SELECT 'it''s' || x'00ff' FROM \"a\"\"b\" JOIN [c d] JOIN `e``f` -- tail",
        "/* open comment",
        "'open string",
        "SELECT 1.5e3, .5, 0x1F, 1_000, ?1, ?, :name, @v, $a::b(c) FROM t WHERE a->>'$.x' <> b",
        "ünïcödé_name.çol",
        "",
    ],
)
def test_tokens_give_the_text_back(text: str) -> None:
    assert "".join(token.text for token in tokenize(text)) == text


def test_literals_quoted_identifiers_and_comments_are_single_tokens() -> None:
    text = "'a.b''c' \"x\"\"y\" [p.q] `r``s` x'AB' -- c.d\n/* e.f */"
    assert [(k, t) for k, t in kinds(text) if k is not Kind.SPACE] == [
        (Kind.STRING, "'a.b''c'"),
        (Kind.QUOTED, '"x""y"'),
        (Kind.QUOTED, "[p.q]"),
        (Kind.QUOTED, "`r``s`"),
        (Kind.BLOB, "x'AB'"),
        (Kind.COMMENT, "-- c.d"),
        (Kind.COMMENT, "/* e.f */"),
    ]


def test_quoted_identifiers_name_what_sqlite_reads() -> None:
    names = [t.identifier for t in tokenize('"x""y" [a"b] `r``s` plain') if t.is_identifier]
    assert names == ['x"y', 'a"b', "r`s", "plain"]


def test_numbers_parameters_and_operators_are_not_names_or_dots() -> None:
    assert kinds("1.5") == [(Kind.NUMBER, "1.5")]
    assert kinds(".5e-3") == [(Kind.NUMBER, ".5e-3")]
    assert kinds(":aws") == [(Kind.PARAMETER, ":aws")]
    assert kinds("$a::b") == [(Kind.PARAMETER, "$a::b")]
    assert kinds("?12") == [(Kind.PARAMETER, "?12")]
    assert [t for _, t in kinds("a->>b||c<>d")] == ["a", "->>", "b", "||", "c", "<>", "d"]


def test_significant_drops_whitespace_and_comments() -> None:
    assert [t.text for t in significant(tokenize("a /* x */ . -- y\n b"))] == ["a", ".", "b"]


# --- StackQL names ----------------------------------------------------------------------------------------


def test_a_stackql_name_becomes_the_table_name_padded_to_the_same_length() -> None:
    sql = f"SELECT * FROM {NAME} WHERE region = 'us-east-1'"
    rewritten = rewrite(sql, TABLES)
    assert rewritten == sql.replace(NAME, "integration_responses".ljust(len(NAME)))
    assert len(rewritten) == len(sql)


@pytest.mark.parametrize(
    "sql",
    [
        f"SELECT '{NAME}'",
        f"SELECT 1 -- FROM {NAME}",
        f"SELECT 1 /* FROM {NAME} */",
        f'SELECT "{NAME}" FROM t',
        f"SELECT [{NAME}] FROM t",
        f"SELECT `{NAME}` FROM t",
        "SELECT x'aa' FROM t",
        "SELECT :aws.apigatewayv2.integration_responses",
        f"SELECT t.{NAME} FROM t",
        "SELECT aws.apigatewayv2 FROM aws",
        "SELECT 1",
    ],
)
def test_literals_comments_quoted_identifiers_and_other_names_are_left_alone(sql: str) -> None:
    assert rewrite(sql, TABLES) == sql


@pytest.mark.parametrize(
    "written",
    [
        "aws . apigatewayv2 . integration_responses",
        "aws/* a */./* b */apigatewayv2.\n  integration_responses",
        "aws -- why\n .apigatewayv2.integration_responses",
        'AWS.ApiGatewayV2."Integration_Responses"',
        '"aws".[apigatewayv2].`integration_responses`',
    ],
)
def test_spaced_commented_quoted_and_cased_names_are_rewritten_keeping_comments(written: str) -> None:
    sql = f"SELECT count(*) FROM {written} WHERE 1"
    rewritten = rewrite(sql, TABLES)
    assert rewritten.startswith("SELECT count(*) FROM integration_responses ")
    assert rewritten.endswith(" WHERE 1")
    assert len(rewritten) == len(sql)
    comments = [t.text for t in tokenize(written) if t.kind is Kind.COMMENT]
    assert [t.text for t in tokenize(rewritten) if t.kind is Kind.COMMENT] == comments
    names = [t.identifier for t in significant(tokenize(rewritten)) if t.is_identifier]
    assert names == ["SELECT", "count", "FROM", "integration_responses", "WHERE"]


def test_every_name_of_a_script_is_rewritten_and_hint_comments_stay() -> None:
    sql = (
        f"/*+ create */\nINSERT INTO {NAME} (ApiId) SELECT api_id FROM {NAME} s;\n"
        f"WITH c AS (SELECT * FROM {NAME}) SELECT {NAME}.api_id FROM c JOIN {NAME} ON 1;"
    )
    rewritten = rewrite(sql, TABLES)
    assert NAME not in rewritten
    assert rewritten.startswith("/*+ create */\nINSERT INTO integration_responses ")
    assert rewritten.count("integration_responses") == 5
    assert "SELECT integration_responses                 .api_id" in rewritten
    assert len(rewritten) == len(sql)


@pytest.mark.parametrize("name", ["aws.foo.bar", "aws.apigatewayv2.nope", '"aws".foo."bar"'])
def test_an_unknown_stackql_name_is_an_error_naming_the_known_tables(name: str) -> None:
    with pytest.raises(apsw.SQLError) as caught:
        rewrite(f"SELECT * FROM {name}", TABLES)
    shown = name.replace('"', "")
    assert str(caught.value) == f"no such table: {shown}; the StackQL names vtab knows: {NAME}"


# --- UPDATE / DELETE without WHERE --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("DELETE FROM integration_responses", UnfilteredWrite("DELETE", "integration_responses")),
        ("delete from temp.prod;", UnfilteredWrite("DELETE", "prod")),
        ('DELETE FROM "my table" -- WHERE x', UnfilteredWrite("DELETE", "my table")),
        ("UPDATE t SET a = 'WHERE'", UnfilteredWrite("UPDATE", "t")),
        ("UPDATE OR IGNORE t SET a = 1", UnfilteredWrite("UPDATE", "t")),
        ("UPDATE t SET a = (SELECT b FROM o WHERE o.id = 1)", UnfilteredWrite("UPDATE", "t")),
        ("UPDATE t SET a = o.b FROM (SELECT * FROM o WHERE 1) AS o", UnfilteredWrite("UPDATE", "t")),
        ("WITH c AS (SELECT 1 WHERE 1) DELETE FROM t", UnfilteredWrite("DELETE", "t")),
        ("UPDATE t SET a = CASE WHEN b THEN 1 END", UnfilteredWrite("UPDATE", "t")),
    ],
)
def test_update_and_delete_without_their_own_where_are_unfiltered(
    sql: str, expected: UnfilteredWrite
) -> None:
    assert unfiltered_write(sql) == expected


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM t WHERE true",
        "DELETE FROM t WHERE json_extract(response_templates, '$.a') = 1",
        "UPDATE t SET a = 1 WHERE region = 'us-east-1'",
        "UPDATE t SET a = o.b FROM o WHERE o.id = t.id",
        "WITH c AS (SELECT 1) DELETE FROM t WHERE x IN c",
        "SELECT * FROM t",
        "INSERT INTO t SELECT * FROM o",
        "CREATE TRIGGER tr AFTER INSERT ON o BEGIN DELETE FROM t; END",
        "EXPLAIN DELETE FROM t",
        "",
    ],
)
def test_statements_with_a_where_or_that_are_no_update_or_delete_pass(sql: str) -> None:
    assert unfiltered_write(sql) is None


# --- placeholders -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "<ApiId>|<IntegrationId>|<IntegrationResponseId>",
        "<ApiId|IntegrationId|IntegrationResponseId>",
        "{{ ApiId }}",
        "{{region}}",
        "abc|<IntegrationId>|def",
    ],
)
def test_placeholders_are_recognised(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value", ["qkrldqjf|ktwxdwqk|liceognh", "us-east-1", "$default", "a < b > c", 3, None]
)
def test_real_values_are_not_placeholders(value: object) -> None:
    assert not is_placeholder(value)


def test_an_unknown_name_lists_its_services_tables_first_and_at_most_ten() -> None:
    many = {f"aws.svc.t{i:02}": f"t{i:02}" for i in range(12)} | {"aws.other.x": "x"}
    with pytest.raises(apsw.SQLError) as caught:
        rewrite("SELECT * FROM aws.svc.nope", many)
    shown = ", ".join(f"aws.svc.t{i:02}" for i in range(10))
    assert (
        str(caught.value)
        == f"no such table: aws.svc.nope; the StackQL names vtab knows: {shown}, ... (12 in all)"
    )
    with pytest.raises(apsw.SQLError) as caught:
        rewrite("SELECT * FROM aws.nosvc.nope", {"aws.other.x": "x"})
    assert str(caught.value).endswith("vtab knows: aws.other.x")


# --- StackQL names in the shell's dot-commands (one unquoted word, LIKE patterns) ---------------------


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("integration_responses", "integration_responses", True),
        ("INTEGRATION_responses", "integration_responses", True),
        ("integration%", "integration_responses", True),
        ("integration_", "integrations", True),
        ("integration_", "integration", False),
        ("aws.ec2.%", "aws.ec2.instances", True),
        ("aws.ec2.%", "aws.ec2x.instances", False),
        ("aws.ec2.%", "aws.ec2.", True),
        ("a.b", "axb", False),  # a dot is a dot, not a regex wildcard
        ("a(b", "a(b", True),
        ("%", "", True),
        ("é", "É", False),  # SQLite's LIKE folds ASCII letters only
    ],
)
def test_like_is_sqlites_like(pattern: str, text: str, matches: bool) -> None:
    assert like(pattern, text) is matches


def test_stackql_names_and_patterns_are_three_parts_starting_with_aws() -> None:
    assert is_stackql_name("aws.apigatewayv2.integration_responses")
    assert is_stackql_name("AWS.ec2.%")
    assert not is_stackql_name("integration_responses")
    assert not is_stackql_name("aws.ec2")
    assert not is_stackql_name("aws..x")
    assert not is_stackql_name("main.aws.x.y")
    assert not is_stackql_name("azure.compute.vms")


def test_a_stackql_pattern_names_every_table_it_matches() -> None:
    names = {
        "aws.ec2.instances": "ec2_instances",
        "aws.ec2.vpcs": "ec2_vpcs",
        "aws.eks.clusters": "eks_clusters",
    }
    assert tables_like("aws.ec2.%", names) == ["ec2_instances", "ec2_vpcs"]
    assert tables_like("AWS.EKS.clusters", names) == ["eks_clusters"]
    assert tables_like("aws.ec2.nope", names) == []


def test_an_unknown_name_in_a_dot_command_says_how_to_search_from_the_command() -> None:
    names = {"aws.ec2.instances": "ec2_instances"}
    assert no_such_table("aws.ec2.nope", names) == (
        "no such table: aws.ec2.nope; the StackQL names vtab knows: aws.ec2.instances"
    )
    assert no_such_table("aws.ec2.nope", names, command=True) == (
        "no such table: aws.ec2.nope; the StackQL names vtab knows: aws.ec2.instances; vtab types ec2 lists "
        "them with their tables (vtab types PATTERN searches all)"
    )
    assert no_such_table("aws.nosvc.x", names, command=True).endswith(
        "vtab knows: aws.ec2.instances; vtab types PATTERN lists every table with its StackQL name"
    )

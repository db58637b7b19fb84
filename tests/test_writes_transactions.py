"""Explicit transactions: nothing is sent before COMMIT, ROLLBACK sends nothing, failed statements and
ROLLBACK TO take back their own rows, and writes to one resource run in order."""

from __future__ import annotations

from typing import Any

import apsw
import pytest

from tests.test_writes_helpers import IR, connect, error_of, rows, sent_writes, write_calls
from vtab.emulator import Emulator

INSERT = (
    "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
    "VALUES (?, ?, ?, 'us-east-1')"
)


@pytest.fixture
def parent(emulator: Emulator) -> tuple[str, str]:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    return seeded.integrations[0]


def _keys(emulator: Emulator, parent: tuple[str, str]) -> list[str]:
    return sorted(m["IntegrationResponseKey"] for m in emulator.integration_responses("us-east-1", *parent))


def test_rollback_sends_nothing(emulator: Emulator, parent: tuple[str, str]) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    before = {r: emulator.resource("us-east-1", IR, r) for r in seeded.responses}
    emulator.clear_calls()
    db = connect(emulator)

    db.execute("BEGIN")
    db.execute(INSERT, (*parent, "a"))
    db.execute(
        "UPDATE integration_responses SET response_templates = '{}' WHERE region = 'us-east-1' "
        "AND data__Identifier = ?",
        (seeded.responses[0],),
    )
    db.execute(
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?",
        (seeded.responses[1],),
    )
    db.execute("ROLLBACK")

    assert write_calls(emulator) == []
    assert _keys(emulator, parent) == []
    assert {r: emulator.resource("us-east-1", IR, r) for r in seeded.responses} == before


def test_commit_sends_every_statements_writes_at_once(emulator: Emulator, parent: tuple[str, str]) -> None:
    emulator.configure(latency=0.05)
    db = connect(emulator)
    db.execute("BEGIN")
    db.execute(INSERT, (*parent, "a"))
    db.execute(INSERT, (*parent, "b"))
    assert write_calls(emulator) == []  # queued, not sent
    db.execute("COMMIT")
    assert _keys(emulator, parent) == ["a", "b"]
    creates = sent_writes(emulator, "CreateResource")
    assert max(c.at for c in creates) < min(c.finished_at for c in creates)  # sent together


def test_a_failed_statement_in_a_transaction_takes_back_only_its_own_rows(
    emulator: Emulator, parent: tuple[str, str]
) -> None:
    db = connect(emulator)
    db.execute("BEGIN")
    db.execute(INSERT, (*parent, "kept"))
    error = error_of(
        db,
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
        "VALUES (?1, ?2, 'lost1', 'us-east-1'), (?1, ?2, 'lost2', 'us-east-1'), (?1, ?2, NULL, 'us-east-1')",
        parent,
    )
    assert type(error) is apsw.ConstraintError
    db.execute(INSERT, (*parent, "also kept"))
    db.execute("COMMIT")
    assert _keys(emulator, parent) == ["also kept", "kept"]
    assert len(sent_writes(emulator, "CreateResource")) == 2


def test_a_statement_failing_outside_the_module_takes_back_its_rows(
    emulator: Emulator, parent: tuple[str, str]
) -> None:
    db = connect(emulator)

    def checked(key: str) -> str:
        if key == "boom":
            raise ValueError("bad key")
        return key

    db.create_scalar_function("checked", checked)
    db.execute("CREATE TABLE keys(k TEXT)")
    db.executemany("INSERT INTO keys VALUES (?)", [("first",), ("second",), ("boom",)])
    db.execute("BEGIN")
    with pytest.raises(ValueError, match="bad key"):
        db.execute(
            "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
            "SELECT ?, ?, checked(k), 'us-east-1' FROM keys ORDER BY rowid",
            parent,
        )
    db.execute(INSERT, (*parent, "after"))
    db.execute("COMMIT")
    assert _keys(emulator, parent) == ["after"]


def test_rollback_to_a_savepoint_takes_back_the_writes_after_it(
    emulator: Emulator, parent: tuple[str, str]
) -> None:
    db = connect(emulator)
    db.execute("BEGIN")
    db.execute(INSERT, (*parent, "before"))
    db.execute("SAVEPOINT sp")
    db.execute(INSERT, (*parent, "undone"))
    db.execute("ROLLBACK TO sp")
    db.execute(INSERT, (*parent, "redone"))
    db.execute("RELEASE sp")
    db.execute("COMMIT")
    assert _keys(emulator, parent) == ["before", "redone"]


def test_the_with_block_of_apsw_commits_on_success_and_sends_nothing_on_error(
    emulator: Emulator, parent: tuple[str, str]
) -> None:
    db = connect(emulator)
    with db:
        db.execute(INSERT, (*parent, "committed"))
    with pytest.raises(RuntimeError), db:
        db.execute(INSERT, (*parent, "rolled back"))
        raise RuntimeError("abandon")
    assert _keys(emulator, parent) == ["committed"]


def test_writes_to_one_resource_in_a_transaction_run_in_order(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    first, other = seeded.responses
    emulator.configure(polls_before_complete=2, latency=0.02)
    db = connect(emulator)
    db.execute("BEGIN")
    db.execute(
        "UPDATE integration_responses SET integration_response_key = 'renamed' WHERE region = 'us-east-1' "
        "AND data__Identifier = ?",
        (first,),
    )
    db.execute(
        "UPDATE integration_responses SET content_handling_strategy = 'CONVERT_TO_BINARY' "
        "WHERE region = 'us-east-1' AND data__Identifier = ?",
        (first,),
    )
    db.execute(
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?", (other,)
    )
    db.execute("COMMIT")

    calls = [c for c in emulator.calls if c.operation != "GetResource" and c.operation != "ListResources"]
    assert not any(c.error_code for c in calls)  # no ConcurrentOperationException
    first_updates = [c for c in sent_writes(emulator, "UpdateResource") if c.identifier == first]
    assert [u.patch_document for u in first_updates] == [
        [{"op": "replace", "path": "/IntegrationResponseKey", "value": "renamed"}],
        [{"op": "add", "path": "/ContentHandlingStrategy", "value": "CONVERT_TO_BINARY"}],
    ]
    polls = sent_writes(emulator, "GetResourceRequestStatus")
    done = next(
        p
        for p in polls
        if p.request_token == first_updates[0].request_token and p.operation_status == "SUCCESS"
    )
    assert first_updates[1].at >= done.finished_at  # the second update waited for the first one
    (delete,) = sent_writes(emulator, "DeleteResource")
    assert delete.at < first_updates[0].finished_at  # another resource's write did not wait
    model = emulator.resource("us-east-1", IR, first)
    assert model is not None
    assert (model["IntegrationResponseKey"], model["ContentHandlingStrategy"]) == (
        "renamed",
        "CONVERT_TO_BINARY",
    )
    assert emulator.resource("us-east-1", IR, other) is None


def test_max_writes_counts_each_statement_of_a_transaction(
    emulator: Emulator, parent: tuple[str, str]
) -> None:
    db = connect(emulator, max_writes=2)
    db.execute("BEGIN")
    db.execute(
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
        "VALUES (?1, ?2, 'a', 'us-east-1'), (?1, ?2, 'b', 'us-east-1')",
        parent,
    )
    db.execute(INSERT, (*parent, "c"))
    error = error_of(
        db,
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
        "VALUES (?1, ?2, 'd', 'us-east-1'), (?1, ?2, 'e', 'us-east-1'), (?1, ?2, 'f', 'us-east-1')",
        parent,
    )
    assert str(error).startswith("max_writes=2: this statement would send more than 2 write(s)")
    db.execute("COMMIT")
    assert _keys(emulator, parent) == ["a", "b", "c"]


def test_a_commit_whose_writes_fail_ends_the_transaction_and_lists_what_was_applied(
    emulator: Emulator, parent: tuple[str, str]
) -> None:
    db = connect(emulator)
    db.execute("CREATE TABLE audit(x)")
    db.execute(INSERT, (*parent, "taken"))
    db.execute("BEGIN")
    db.execute("INSERT INTO audit VALUES (1)")
    db.execute(INSERT, (*parent, "taken"))
    db.execute(INSERT, (*parent, "fresh"))
    error = error_of(db, "COMMIT")
    assert type(error) is apsw.ConstraintError
    assert str(error).startswith(
        "AlreadyExists: 1 of 2 writes to integration_responses failed; 1 applied (remote changes are not "
        "rolled back):"
    )
    assert "\n  applied: CREATE row 1 " in str(error) and "integration_response_key='fresh'" in str(error)
    assert str(error).endswith(
        "\nLocal changes of this transaction were rolled back by SQLite; the applied remote changes above "
        "were not."
    )
    assert db.getautocommit()  # SQLite rolled the transaction back; the next statement starts afresh
    assert rows(db, "SELECT x FROM audit") == []  # the local row went with it
    db.execute(INSERT, (*parent, "later"))
    assert _keys(emulator, parent) == ["fresh", "later", "taken"]


def test_deleting_one_resource_twice_in_a_transaction_sends_one_delete(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    doomed, kept = seeded.responses
    db = connect(emulator)
    delete = "DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?"
    db.execute("BEGIN")
    db.execute(delete, (doomed,))
    db.execute(delete, (doomed,))  # the row is still there remotely, so SQLite passes it again
    db.execute("COMMIT")  # the second DELETE is a no-op, not a NotFound failure
    (sent,) = [c for c in emulator.calls if c.operation == "DeleteResource"]
    assert sent.identifier == doomed
    assert emulator.resource("us-east-1", IR, doomed) is None
    assert emulator.resource("us-east-1", IR, kept) is not None


@pytest.mark.parametrize("insert", ["INSERT", "INSERT OR REPLACE"])
@pytest.mark.parametrize("identifier_only_lists", [False, True])
def test_delete_then_insert_of_one_key_in_a_transaction_recreates_the_response(
    emulator: Emulator, insert: str, identifier_only_lists: bool
) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    parent = seeded.integrations[0]
    (old,) = seeded.responses
    key = (emulator.resource("us-east-1", IR, old) or {})["IntegrationResponseKey"]
    emulator.configure(polls_before_complete=2, latency=0.02, identifier_only_lists=identifier_only_lists)
    db = connect(emulator)

    db.execute("BEGIN")
    db.execute(
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ?",
        parent,
    )
    db.execute(
        f"{insert} INTO integration_responses (api_id, integration_id, integration_response_key, region, "
        "template_selection_expression) VALUES (?, ?, ?, 'us-east-1', 'new')",
        (*parent, key),
    )
    db.execute("COMMIT")

    (model,) = emulator.integration_responses("us-east-1", *parent)
    assert (model["IntegrationResponseKey"], model["TemplateSelectionExpression"]) == (key, "new")
    assert model["IntegrationResponseId"] != old.split("|")[2]  # a new resource, the old one is gone
    assert not any(c.error_code for c in write_calls(emulator))
    (delete,) = sent_writes(emulator, "DeleteResource")
    (create,) = sent_writes(emulator, "CreateResource")
    assert sent_writes(emulator, "UpdateResource") == []  # OR REPLACE: the deleted one does not count
    deleted = next(
        p
        for p in sent_writes(emulator, "GetResourceRequestStatus")
        if p.request_token == delete.request_token and p.operation_status == "SUCCESS"
    )
    assert create.at >= deleted.finished_at  # the create waited for the delete


def test_a_create_does_not_wait_for_deletes_of_other_keys(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    parent = seeded.integrations[0]
    emulator.configure(polls_before_complete=2, latency=0.02)
    db = connect(emulator)
    db.execute("BEGIN")
    db.execute(
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?",
        (seeded.responses[0],),
    )
    db.execute(INSERT, (*parent, "another key"))
    db.execute("COMMIT")
    (delete,) = sent_writes(emulator, "DeleteResource")
    (create,) = sent_writes(emulator, "CreateResource")
    deleted = next(
        p
        for p in sent_writes(emulator, "GetResourceRequestStatus")
        if p.request_token == delete.request_token and p.operation_status == "SUCCESS"
    )
    assert create.at < deleted.at  # it did not wait for the delete to finish
    assert _keys(emulator, parent) == ["another key"]


# -- a COMMIT that fails busy keeps the transaction; COMMIT again sends the failed writes again ---------

SET_EXPRESSION = (
    "UPDATE integration_responses SET template_selection_expression = ? WHERE region = 'us-east-1' "
    "AND data__Identifier = ?"
)


def _expression(emulator: Emulator, identifier: str) -> Any:
    return (emulator.resource("us-east-1", IR, identifier) or {}).get("TemplateSelectionExpression")


def test_commit_again_after_a_busy_failure_sends_only_the_failed_write(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    first, second = seeded.responses
    db = connect(emulator, max_workers=1)  # one at a time, in queue order: the first write fails
    db.execute("CREATE TABLE audit(x)")
    db.execute("BEGIN")
    db.execute("INSERT INTO audit VALUES (1)")
    db.execute(SET_EXPRESSION, ("T1", first))
    db.execute(SET_EXPRESSION, ("T2", second))
    emulator.fail_next_write("Throttling", "Rate exceeded")

    error = error_of(db, "COMMIT")

    assert type(error) is apsw.BusyError
    (failed,) = [u for u in sent_writes(emulator, "UpdateResource") if u.identifier == first]
    lines = str(error).splitlines()
    assert lines[0] == (
        "Throttling: 1 of 2 writes to integration_responses failed; 1 applied (remote changes are not "
        "rolled back):"
    )
    assert lines[1] == (
        f"  FAILED UPDATE {first} in us-east-1: Throttling: Rate exceeded "
        f"(RequestToken {failed.request_token})"
    )
    assert lines[2].startswith(f"  applied: UPDATE {second} in us-east-1 (RequestToken ")
    assert lines[3] == (
        "The transaction is still open: COMMIT again to send the 1 failed write again (the applied ones "
        "are not sent again), or ROLLBACK to drop them."
    )
    assert not db.getautocommit()  # SQLite kept the transaction
    assert (_expression(emulator, first), _expression(emulator, second)) != ("T1", "T2")
    emulator.clear_calls()

    db.execute("COMMIT")

    (again,) = sent_writes(emulator, "UpdateResource")  # the applied one was not sent again
    assert again.identifier == first and again.patch_document == failed.patch_document
    assert again.client_token != failed.client_token  # a FAILED request's token would replay its failure
    assert (_expression(emulator, first), _expression(emulator, second)) == ("T1", "T2")
    assert db.getautocommit()
    assert rows(db, "SELECT x FROM audit") == [(1,)]  # the local part of the transaction committed too


def test_commit_again_resends_a_refused_write_with_its_client_token(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    parent = seeded.integrations[0]
    db = connect(emulator, max_attempts=1)
    db.execute("BEGIN")
    db.execute(INSERT, (*parent, "new"))
    emulator.throttle_next(1)

    error = error_of(db, "COMMIT")

    assert type(error) is apsw.BusyError
    assert "REFUSED CREATE row 1" in str(error) and "(no RequestToken: not accepted)" in str(error)
    (refused,) = [c for c in emulator.calls if c.operation == "CreateResource"]
    assert refused.error_code == "ThrottlingException"
    emulator.clear_calls()
    db.execute("COMMIT")
    (sent,) = sent_writes(emulator, "CreateResource")
    assert sent.client_token == refused.client_token
    assert "new" in _keys(emulator, parent)


def test_commit_again_after_write_timeout_polls_the_running_request(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    (identifier,) = seeded.responses
    emulator.configure(polls_before_complete=1_000_000)
    db = connect(emulator, write_timeout=0.2)
    db.execute("BEGIN")
    db.execute(SET_EXPRESSION, ("slow", identifier))

    error = error_of(db, "COMMIT")

    assert type(error) is apsw.BusyError and "TIMEOUT UPDATE" in str(error)
    (update,) = sent_writes(emulator, "UpdateResource")
    emulator.configure(polls_before_complete=1)  # the next poll finishes it
    emulator.clear_calls()
    db.execute("COMMIT")
    assert sent_writes(emulator, "UpdateResource") == []  # not sent again: polled
    polls = sent_writes(emulator, "GetResourceRequestStatus")
    assert {p.request_token for p in polls} == {update.request_token}
    assert polls[-1].operation_status == "SUCCESS"
    assert _expression(emulator, identifier) == "slow"


def test_writes_that_follow_a_busy_failure_wait_for_the_retried_commit(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    (identifier,) = seeded.responses
    db = connect(emulator)
    db.execute("BEGIN")
    db.execute(SET_EXPRESSION, ("last words", identifier))
    db.execute(
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?", (identifier,)
    )
    emulator.fail_next_write("Throttling", "Rate exceeded")

    error = error_of(db, "COMMIT")

    assert type(error) is apsw.BusyError
    assert f"\n  NOT_SENT DELETE {identifier} in us-east-1: not sent: it follows UPDATE {identifier} " in str(
        error
    )
    assert sent_writes(emulator, "DeleteResource") == []  # held back: the update must go first
    assert "COMMIT again to send the 2 failed writes again (nothing was applied)" in str(error)
    emulator.clear_calls()
    db.execute("COMMIT")
    assert [
        c.operation for c in sent_writes(emulator, "UpdateResource") + sent_writes(emulator, "DeleteResource")
    ] == [
        "UpdateResource",
        "DeleteResource",
    ]
    assert emulator.resource("us-east-1", IR, identifier) is None


def test_rollback_after_a_busy_commit_sends_nothing_more(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    (identifier,) = seeded.responses
    db = connect(emulator)
    db.execute("BEGIN")
    db.execute(SET_EXPRESSION, ("dropped", identifier))
    emulator.fail_next_write("Throttling", "Rate exceeded")
    assert type(error_of(db, "COMMIT")) is apsw.BusyError
    db.execute("ROLLBACK")
    emulator.clear_calls()
    db.execute(INSERT, (*seeded.integrations[0], "later"))  # the next transaction sends only its own
    assert [c.operation for c in write_calls(emulator) if c.operation != "GetResourceRequestStatus"] == [
        "CreateResource"
    ]
    assert _expression(emulator, identifier) != "dropped"


def test_a_commit_with_busy_and_other_failures_is_not_busy(emulator: Emulator) -> None:
    """Retrying cannot fix AlreadyExists: the COMMIT fails with its class, and SQLite ends the transaction."""
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    parent = seeded.integrations[0]
    taken = (emulator.resource("us-east-1", IR, seeded.responses[1]) or {})["IntegrationResponseKey"]
    db = connect(emulator, max_workers=1)  # in queue order: the update gets the injected failure
    db.execute("BEGIN")
    db.execute(SET_EXPRESSION, ("x", seeded.responses[0]))
    db.execute(INSERT, (*parent, taken))
    emulator.fail_next_write("Throttling", "Rate exceeded")

    error = error_of(db, "COMMIT")

    assert type(error) is apsw.ConstraintError
    assert str(error).startswith(
        "AlreadyExists: 2 of 2 writes to integration_responses failed; none applied:"
    )
    assert "COMMIT again" not in str(error)
    assert str(error).endswith("\nLocal changes of this transaction were rolled back by SQLite.")
    assert db.getautocommit()


def test_a_later_update_in_a_transaction_diffs_against_the_earlier_ones(emulator: Emulator) -> None:
    """Two UPDATEs of one log group in one transaction: the second, back to the value AWS still has, is no
    "unchanged" no-op (it was compared with the live row and dropped, so COMMIT left 14: a lost write)."""
    db = connect(emulator)
    db.execute(
        "INSERT INTO logs_log_groups (log_group_name, retention_in_days, tags, region) "
        """VALUES ('g', 7, '[{"Key": "k", "Value": "v"}]', 'us-east-1')"""
    )
    emulator.clear_calls()
    where = "WHERE region = 'us-east-1' AND log_group_name = 'g'"

    db.execute("BEGIN")
    db.execute(f"UPDATE logs_log_groups SET retention_in_days = 14, tags = NULL {where}")
    db.execute(f"UPDATE logs_log_groups SET retention_in_days = 7 {where}")
    db.execute(f"""UPDATE logs_log_groups SET tags = '[{{"Key": "k", "Value": "v"}}]' {where}""")
    db.execute("COMMIT")

    patches = [call.patch_document for call in sent_writes(emulator, "UpdateResource")]
    assert patches == [
        [{"op": "replace", "path": "/RetentionInDays", "value": 14}, {"op": "remove", "path": "/Tags"}],
        [{"op": "replace", "path": "/RetentionInDays", "value": 7}],
        [{"op": "add", "path": "/Tags", "value": [{"Key": "k", "Value": "v"}]}],
    ]
    model = emulator.resource("us-east-1", "AWS::Logs::LogGroup", "g")
    assert model is not None
    assert (model.get("RetentionInDays"), model.get("Tags")) == (7, [{"Key": "k", "Value": "v"}])


def test_an_explicit_patch_in_a_transaction_applies_to_the_earlier_updates(emulator: Emulator) -> None:
    """A data__PatchDocument is checked on the resource as the transaction's earlier UPDATEs leave it."""
    db = connect(emulator)
    db.execute("INSERT INTO logs_log_groups (log_group_name, region) VALUES ('g', 'us-east-1')")
    where = "WHERE region = 'us-east-1' AND log_group_name = 'g'"

    db.execute("BEGIN")
    db.execute(f"UPDATE logs_log_groups SET retention_in_days = 14 {where}")
    db.execute(
        "UPDATE logs_log_groups SET data__PatchDocument = "
        f"""'[{{"op": "replace", "path": "/RetentionInDays", "value": 30}}]' {where}"""
    )
    db.execute("COMMIT")

    model = emulator.resource("us-east-1", "AWS::Logs::LogGroup", "g")
    assert model is not None and model.get("RetentionInDays") == 30


def test_a_commit_failing_on_a_later_table_lists_what_earlier_tables_applied(emulator: Emulator) -> None:
    """COMMIT syncs table by table: when the second table's write fails, the first table's create is
    already real, and the error says so (it said "none applied", and that SQLite rolled back)."""
    db = connect(emulator)
    db.execute("BEGIN")
    db.execute("INSERT INTO logs_log_groups (log_group_name, region) VALUES ('kept', 'us-east-1')")
    db.execute(
        "INSERT INTO eks_nodegroups (cluster_name, node_role, subnets, region) "
        """VALUES ('missing', 'arn:aws:iam::123456789012:role/n', '["subnet-1"]', 'us-east-1')"""
    )
    error = error_of(db, "COMMIT")

    assert isinstance(error, apsw.NotFoundError)
    message = str(error)
    assert "FAILED CREATE row 1 (cluster_name='missing'" in message
    (create,) = sent_writes(emulator, "CreateResource")[:1]
    assert (
        "applied earlier in this transaction: logs_log_groups CREATE row 1 (log_group_name='kept')" in message
    )
    assert f"-> kept (RequestToken {create.request_token})" in message
    assert "the applied remote changes above were not" in message
    assert emulator.resource("us-east-1", "AWS::Logs::LogGroup", "kept") is not None
    # The next transaction does not repeat them.
    db.execute("BEGIN")
    db.execute(
        "INSERT INTO eks_nodegroups (cluster_name, node_role, subnets, region) "
        """VALUES ('missing', 'arn:aws:iam::123456789012:role/n', '["subnet-1"]', 'us-east-1')"""
    )
    assert "applied earlier" not in str(error_of(db, "COMMIT"))


def test_a_write_only_property_set_twice_in_a_transaction_is_added_twice(emulator: Emulator) -> None:
    """The transaction's earlier UPDATEs count as AWS will read them: a write-only property (a secret's
    SecretString) never shows, so the second SET is an "add" again (AWS refuses to "replace" one)."""
    db = connect(emulator)
    db.execute("INSERT INTO secretsmanager_secrets (name, region) VALUES ('s', 'us-east-1')")
    where = "WHERE region = 'us-east-1' AND name = 's'"
    db.execute("BEGIN")
    db.execute(f"UPDATE secretsmanager_secrets SET secret_string = 'a' {where}")
    db.execute(f"UPDATE secretsmanager_secrets SET secret_string = 'b' {where}")
    db.execute("COMMIT")
    assert [c.patch_document for c in sent_writes(emulator, "UpdateResource")] == [
        [{"op": "add", "path": "/SecretString", "value": "a"}],
        [{"op": "add", "path": "/SecretString", "value": "b"}],
    ]

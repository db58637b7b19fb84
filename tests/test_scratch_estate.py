import apsw
import vtab


def register(emulator, **options):
    connection = apsw.Connection(":memory:")
    registry = vtab.register(connection, endpoint_url=emulator.endpoint_url, rate_limit=None, **options)
    return connection, registry
from tests.readhelpers import rows
from tests.orgs import Org


def test_smoke(emulator, org: Org) -> None:
    connection, registry = register(emulator, accounts="org", regions="us-east-1,eu-west-1", on_account_error="skip")
    got = rows(connection, "SELECT account_id, region, log_group_name FROM logs_log_groups ORDER BY 1, 2, 3")
    for r in got: print(r)
    print(rows(connection, "SELECT * FROM vtab_errors"))
    print(rows(connection, "SELECT operation, region, account_id, error_code FROM vtab_calls"))
    print(rows(connection, "EXPLAIN QUERY PLAN SELECT account_id, account_name FROM logs_log_groups WHERE account_id = '123456789012'"))
    print(rows(connection, "SELECT account_id, account_name, count(*) FROM logs_log_groups GROUP BY 1, 2"))
    connection2, registry = register(emulator, accounts="org", regions="us-east-1,eu-west-1")
    try:
        print(rows(connection2, "SELECT count(*) FROM logs_log_groups"))
    except Exception as e:
        print(type(e), e)

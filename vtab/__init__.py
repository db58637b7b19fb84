"""vtab: live AWS resources as SQLite tables, through the AWS Cloud Control API.

import vtab
conn = vtab.connect("inventory.db", regions="us-east-1,eu-west-1")  # or vtab.register(apsw_conn, ...)
conn.execute("SELECT api_id, integration_response_key FROM integration_responses WHERE region = 'us-east-1'")
"""

from vtab.options import OptionError, Options
from vtab.sqlite.install import connect, register
from vtab.sqlite.registry import Registry
from vtab.sync import SyncSummary, sync  # vtab.sync is the function; its modules: from vtab.sync.plan import

__all__ = ["OptionError", "Options", "Registry", "SyncSummary", "connect", "register", "sync"]
__version__ = "0.1.0"

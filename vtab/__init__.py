"""vtab: live AWS resources as SQLite tables, through the AWS Cloud Control API.

import apsw, vtab
conn = apsw.Connection(":memory:")
vtab.register(conn, regions="us-east-1,eu-west-1")
conn.execute("SELECT api_id, integration_response_key FROM integration_responses WHERE region = 'us-east-1'")
"""

from vtab.options import Options
from vtab.registry import Registry, register

__all__ = ["Options", "Registry", "register"]
__version__ = "0.1.0"

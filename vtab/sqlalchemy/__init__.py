"""The SQLAlchemy dialect ``vtab://`` (install ``vtab[sqlalchemy]``), over vtab.dbapi.

create_engine("vtab:///inventory.db?regions=us-east-1,eu-west-1&profile=prod")  # or vtab:///:memory:

SQLAlchemy finds it through the ``sqlalchemy.dialects`` entry point (pyproject.toml); this package is
imported only then, so vtab itself does not need SQLAlchemy.
"""

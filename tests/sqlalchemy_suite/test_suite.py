"""Every test of SQLAlchemy's dialect compliance suite; requirements.py says which apply."""

from sqlalchemy.testing.suite import *  # noqa: F403

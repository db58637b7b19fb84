"""The rule for when a failed listing means "no rows" rather than an error.

Cloud Control answers a listing under a missing parent with NotFound, GeneralServiceException or
InvalidRequest, depending on the handler. Only a parent that is gone (deleted mid-walk, never existed) or
one the walk excludes (an ancestor its ``keep`` filter drops: an HTTP API has no integration responses)
makes that "no rows"; any other failure is the statement's error. The rule asks the parents themselves,
through the fetch layer (one memoised get per level, or the parent's own listing).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import apsw

from vtab.aws.cloudcontrol import Page, Properties
from vtab.catalog.schema import ParentStep, ResourceSchema
from vtab.catalog.store import load_catalog


class Fetches(Protocol):
    """What the rule reads through (vtab.read.fetch.Fetcher)."""

    def get(
        self, region: str, schema: ResourceSchema, identifier: str, *, dropping: bool = False
    ) -> Properties | None: ...

    def listing(
        self, region: str, schema: ResourceSchema, model: dict[str, str] | None, *, dropping: bool = False
    ) -> Iterable[Page]: ...


def listing_cannot_apply(
    fetch: Fetches, region: str, schema: ResourceSchema, model: dict[str, str] | None
) -> bool:
    """A listing failed: is its parent gone (deleted mid-walk, never existed), or an ancestor one the
    parent chain excludes (its ``keep`` filter, e.g. a non-WebSocket API)? One memoised get per level."""
    if not model:
        return False
    catalog = load_catalog()
    by_parent: dict[tuple[str | None, str | None], Any] = {
        (item.parent, item.parent_property): model[item.input]
        for item in schema.list_inputs
        if item.parent and item.input in model
    }
    for step in reversed(schema.parents):
        ancestor = catalog.schema(step.type_name)
        fed = {
            item.parent_property: model[item.input]
            for item in schema.list_inputs
            if item.parent == step.type_name and item.parent_property and item.input in model
        }
        # the ancestor's own inputs and their aliases (an Environment is 'DomainId|Id', while the
        # listing holds the domain's id as DomainIdentifier): the values of the same parents' ids
        own = {
            prop: value
            for item in ancestor.list_inputs
            if (value := by_parent.get((item.parent, item.parent_property))) is not None
            for prop in item.holders
        }
        try:
            identifier = ancestor.identifier_of({**model, **own, **fed})
        except KeyError:
            if fed and _absent_from_listing(fetch, region, ancestor, step, own, fed):
                return True
            continue
        properties = fetch.get(region, ancestor, identifier, dropping=True)
        if properties is None:
            return True
        if not step.keeps(properties):
            return True
    return False


def _absent_from_listing(
    fetch: Fetches,
    region: str,
    ancestor: ResourceSchema,
    step: ParentStep,
    own: dict[str, Any],
    fed: dict[str, Any],
) -> bool:
    """A parent whose identifier the listing's model cannot give (an Amplify app is read by its Arn,
    its branches are listed by AppId): gone, or excluded by ``keep``, when its own listing (this
    scan's: a walk has just made it; else made afresh) shows no parent with those values, or only
    excluded ones. False when that cannot be told: the listing needs inputs not known here, fails, or
    its items lack the values."""
    if any(item.property_name not in own for item in ancestor.list_inputs):
        return False
    model = {item.input: own[item.property_name] for item in ancestor.list_inputs}
    try:
        for page in fetch.listing(region, ancestor, model or None, dropping=True):
            for _, properties in page:
                if any(name not in properties for name in fed):
                    return False
                if all(properties[name] == value for name, value in fed.items()):
                    return not step.keeps(properties)
    except apsw.Error:
        return False
    return True

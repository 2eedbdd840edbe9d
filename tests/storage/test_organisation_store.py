"""Organisations: one per tenant, found by tenant id, name or id."""

from __future__ import annotations

import pytest

from followup.policy import Policy
from storage.database import Database
from storage.organisation_store import OrganisationExists, OrganisationNotFound, OrganisationStore


async def test_one_organisation_per_tenant(db: Database) -> None:
    store = OrganisationStore(db)
    org = await store.create(tenant_id=" ABC-1 ", name=" Region Gotland ", default_k=Policy().k)
    assert (org.tenant_id, org.name) == ("abc-1", "Region Gotland")
    with pytest.raises(OrganisationExists):
        await store.create(tenant_id="abc-1", name="Igen", default_k=Policy().k)
    assert [o.name for o in await store.list()] == ["Region Gotland"]
    found = await store.for_tenant("ABC-1")
    assert found is not None and found.id == org.id
    assert await store.for_tenant("other") is None


async def test_find_by_reference_or_the_only_one(db: Database) -> None:
    store = OrganisationStore(db)
    with pytest.raises(OrganisationNotFound) as none:
        await store.find(None)
    assert none.value.candidates == 0
    first = await store.create(tenant_id="t1", name="Motala kommun", default_k=Policy().k)
    assert (await store.find(None)).id == first.id
    second = await store.create(tenant_id="t2", name="Luleå kommun", default_k=Policy().k)
    with pytest.raises(OrganisationNotFound) as ambiguous:
        await store.find(None)
    assert ambiguous.value.candidates == 2
    assert (await store.find("LULEÅ KOMMUN")).id == second.id
    assert (await store.find("t1")).id == first.id
    assert (await store.find(str(second.id))).id == second.id
    with pytest.raises(OrganisationNotFound):
        await store.find("Gotland")

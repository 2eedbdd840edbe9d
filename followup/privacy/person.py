"""Who one chef is known as: the names (UPN, e-mail, Entra object id) their roster row and their
Teams conversations carry. Roles, conversations and audit rows name a person by these, so what
is shown, erased or removed about the chef is found by all of them, not by one."""

from __future__ import annotations

from dataclasses import dataclass

from storage.conversation_store import ConversationStore
from storage.database import Database, Session
from storage.models import Chef, ConversationRef


@dataclass(frozen=True)
class Person:
    """A chef's names and every Teams conversation kept for them."""

    names: frozenset[str]
    conversations: tuple[ConversationRef, ...]

    @property
    def conversation_ids(self) -> list[int]:
        return [c.id for c in self.conversations if c.id is not None]


async def person_of(db: Database, chef: Chef, *, session: Session) -> Person:
    """The chef's names and conversations, read in the caller's session."""
    assert chef.id is not None
    conversations = ConversationStore(db)
    names = {n.strip().lower() for n in (chef.upn, chef.email, chef.aad_object_id) if n}
    # Teams may have told us an object id the roster never had
    linked = await conversations.of_person(
        organisation_id=chef.organisation_id, chef_id=chef.id, principals=(), session=session
    )
    names |= {n.lower() for c in linked for n in (c.aad_object_id, c.upn) if n}
    found = await conversations.of_person(
        organisation_id=chef.organisation_id, chef_id=chef.id, principals=names, session=session
    )
    return Person(frozenset(names), tuple(found))

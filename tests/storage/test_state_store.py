"""Dialog state on SQL: botbuilder's own storage tests, stale eTags, and concurrent turns."""

from __future__ import annotations

import asyncio

import pytest
from botbuilder.core import ConversationState, MessageFactory, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    DialogSet,
    DialogTurnResult,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions
from botbuilder.testing import StorageBaseTests

from storage.database import Database
from storage.state_store import StaleStateError, StateStore

BASE_TESTS = [
    "return_empty_object_when_reading_unknown_key",
    "handle_null_keys_when_reading",
    "handle_null_keys_when_writing",
    "does_not_raise_when_writing_no_items",
    "create_object",
    "handle_crazy_keys",
    "update_object",
    "delete_object",
    "delete_unknown_object",
    "perform_batch_operations",
    "proceeds_through_waterfall",
]


@pytest.mark.parametrize("name", BASE_TESTS)
async def test_botbuilder_storage_base_tests(db: Database, name: str) -> None:
    assert await getattr(StorageBaseTests, name)(StateStore(db)) is True


async def test_a_stale_etag_raises_and_keeps_the_newer_state(db: Database) -> None:
    store = StateStore(db)
    await store.write({"chef/1": {"answers": 1, "e_tag": "*"}})
    first = (await store.read(["chef/1"]))["chef/1"]
    second = (await store.read(["chef/1"]))["chef/1"]

    first["answers"] = 2
    await store.write({"chef/1": first})
    second["answers"] = 3
    with pytest.raises(StaleStateError):
        await store.write({"chef/1": second})

    assert (await store.read(["chef/1"]))["chef/1"]["answers"] == 2
    second["e_tag"] = "*"  # an explicit overwrite
    await store.write({"chef/1": second})
    assert (await store.read(["chef/1"]))["chef/1"]["answers"] == 3


async def test_a_writer_can_save_twice_in_one_turn(db: Database) -> None:
    store = StateStore(db)
    item = {"step": 1, "e_tag": "*"}
    await store.write({"k": item})
    item["step"] = 2
    await store.write({"k": item})  # carries the eTag of its own first write
    assert (await store.read(["k"]))["k"]["step"] == 2


async def test_state_survives_a_new_store_on_the_same_database(database_url: str) -> None:
    from storage import migrate

    db = Database(database_url)
    await migrate.upgrade(db)
    await StateStore(db).write({"k": {"dialog": ["a", "b"], "e_tag": "*"}})
    await db.dispose()

    again = Database(database_url)
    assert (await StateStore(again).read(["k"]))["k"]["dialog"] == ["a", "b"]
    await again.dispose()


async def test_two_concurrent_turns_of_one_chef_cannot_silently_lose_an_answer(
    db: Database,
) -> None:
    """Both turns read the dialog state, then both save: one save wins, the other raises."""
    store = StateStore(db)
    state = ConversationState(store)
    answers = state.create_property("answers")
    both_loaded = asyncio.Barrier(2)

    async def turn(context: TurnContext) -> None:
        await state.load(context)
        saved = await answers.get(context, dict)
        if context.activity.text != "q0":
            await both_loaded.wait()  # interleave: both have read the same version
        saved[context.activity.text] = True
        await answers.set(context, saved)
        await state.save_changes(context)

    adapter_one, adapter_two = TestAdapter(turn), TestAdapter(turn)
    await adapter_one.receive_activity("q0")  # an earlier turn: the state exists
    results = await asyncio.gather(
        adapter_one.receive_activity("q1"),
        adapter_two.receive_activity("q2"),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], StaleStateError)
    [stored] = (await store.read(list(await _keys(db)))).values()
    assert stored["answers"]["q0"] is True
    assert sum(key in stored["answers"] for key in ("q1", "q2")) == 1


async def _keys(db: Database) -> list[str]:
    from sqlmodel import select

    from storage.models import BotState

    async with db.session() as s:
        return [row.key for row in (await s.exec(select(BotState))).all()]


async def test_dialog_state_with_objects_resumes_after_restart(database_url: str) -> None:
    """A waterfall stopped half-way continues on a new store (a restarted service)."""
    from storage import migrate

    async def run(store: StateStore, text: str) -> list[str]:
        state = ConversationState(store)
        dialogs = DialogSet(state.create_property("dialog"))

        async def ask(step: WaterfallStepContext) -> DialogTurnResult:
            return await step.prompt("text", PromptOptions(prompt=MessageFactory.text("Namn?")))

        async def done(step: WaterfallStepContext) -> DialogTurnResult:
            await step.context.send_activity(f"Tack {step.result}")
            return await step.end_dialog()

        dialogs.add(TextPrompt("text"))
        dialogs.add(WaterfallDialog("w", [ask, done]))

        async def logic(context: TurnContext) -> None:
            dc = await dialogs.create_context(context)
            result = await dc.continue_dialog()
            if not context.responded and result.status.name == "Empty":
                await dc.begin_dialog("w")
            await state.save_changes(context)

        adapter = TestAdapter(logic)
        await adapter.receive_activity(text)
        return [a.text for a in adapter.activity_buffer]

    first = Database(database_url)
    await migrate.upgrade(first)
    assert await run(StateStore(first), "hej") == ["Namn?"]
    await first.dispose()
    second = Database(database_url)
    assert await run(StateStore(second), "Åsa") == ["Tack Åsa"]
    await second.dispose()

"""The privacy rules every output follows: no figure below k, none that a subtraction would give
away, quotes only with consent from confidential sections, names only beside identified ones."""

from __future__ import annotations

from typing import Any

from followup.privacy.disclosure import enough, may_quote, names_allowed, reported, suppressed

K = 3


def test_a_figure_over_fewer_than_k_people_is_not_shown() -> None:
    assert not enough(K - 1, K)
    assert enough(K, K)
    assert not enough(0, K)  # nobody answered: no figure either


def test_a_single_hidden_group_takes_the_next_smallest_with_it() -> None:
    assert suppressed({"a": 5, "b": 2, "c": 4}, 3) == {"b", "c"}
    assert suppressed({"a": 5, "b": 2, "c": 1}, 3) == {"b", "c"}  # two hidden already
    assert suppressed({"a": 5, "b": 0}, 3) == set()  # nobody answered: nothing to hide
    assert suppressed({"a": 2}, 3) == {"a"}
    sizes: dict[str, Any] = {"a": 3, "b": 3, "c": 3}
    assert suppressed(sizes, 3) == set()


def test_with_two_departments_one_small_department_hides_both() -> None:
    # the round's total minus the large department would otherwise be the small one's figure
    assert suppressed({"IFO": 12, "LSS": 2}, K) == {"IFO", "LSS"}


def test_the_next_smallest_skips_departments_where_nobody_answered() -> None:
    # an empty department has no figure, so hiding it would protect nothing
    assert suppressed({"IFO": 1, "ÄO": 0, "LSS": 6, "SPS": 4}, K) == {"IFO", "SPS"}


def test_of_equally_small_departments_the_same_one_is_hidden_every_time() -> None:
    # a digest compiled twice must not hide one department the first time and another the next
    first = suppressed({"IFO": 1, "ÄO": 5, "LSS": 5}, K)
    again = suppressed({"LSS": 5, "ÄO": 5, "IFO": 1}, K)
    assert first == again and len(first) == 2 and "IFO" in first


def test_breakdowns_by_other_keys_than_names_are_protected_alike() -> None:
    assert suppressed({1: 2, 2: 7, 3: 9}, K) == {1, 2}  # e.g. by activity id
    assert suppressed({("done", 1): 4, ("delayed", 1): 1}, K) == {("done", 1), ("delayed", 1)}


def test_free_text_is_quoted_only_from_a_confidential_section_with_consent_and_k_respondents() -> (
    None
):
    assert may_quote("confidential", consented=True, respondents=K, k=K)
    assert not may_quote("confidential", consented=False, respondents=10, k=K)
    assert not may_quote("confidential", consented=True, respondents=K - 1, k=K)
    # identified texts already stand beside a name; private ones are the chef's alone
    assert not may_quote("identified", consented=True, respondents=10, k=K)
    assert not may_quote("private", consented=True, respondents=10, k=K)


def test_only_identified_answers_stand_beside_a_name() -> None:
    assert names_allowed("identified")
    assert not names_allowed("confidential")
    assert not names_allowed("private")
    assert not names_allowed("")  # a round without the section names nobody


def test_private_sections_never_appear_in_hrs_outputs() -> None:
    assert reported("identified") and reported("confidential")
    assert not reported("private")

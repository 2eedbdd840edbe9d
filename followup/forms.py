"""One error type for every form the service checks, and pydantic's errors turned into it.

A form is described by a pydantic model; its checks raise `problem(code, ...)` so the code is a
catalogue key's last part, and `errors_of` turns a `ValidationError` into `FormError`s named by
the model's fields (dotted for nested ones, e.g. `activities.12.status`). Which card input a
field came from is the dialogs' business: they name the inputs and translate the names back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

Model = TypeVar("Model", bound=BaseModel)

# pydantic's own error types, for the checks it does itself, as the catalogues' codes
_CODES = {
    "missing": "required",
    "string_too_short": "required",
    "string_too_long": "too_long",
    "int_parsing": "bad_number",
    "int_type": "bad_number",
}


@dataclass(frozen=True)
class FormError:
    """One problem with one field; `code` names the text, `params` fill it in."""

    name: str  # the field: the form's own name for it, or the card input's at the edge
    code: str
    params: dict[str, Any] = field(default_factory=dict)


def problem(code: str, **params: Any) -> PydanticCustomError:
    """What a check raises: pydantic collects it with the others, `errors_of` reads it back."""
    return PydanticCustomError(code, code, params)


def errors_of(error: ValidationError) -> list[FormError]:
    """Every problem pydantic found, in the order of the model's fields."""
    found: list[FormError] = []
    for item in error.errors(include_url=False):
        name = ".".join(str(part) for part in item["loc"])
        kind = item["type"]
        context = dict(item.get("ctx") or {})
        if kind == "string_too_long":
            context = {"max": context.get("max_length")}
        elif kind in _CODES:
            context = {}
        found.append(FormError(name, _CODES.get(kind, kind), context))
    return found


def check(
    model: type[Model], given: Mapping[str, Any], *, context: dict[str, Any] | None = None
) -> tuple[Model | None, list[FormError]]:
    """The form as the model reads it, or None and what is wrong with it."""
    try:
        return model.model_validate(dict(given), context=context), []
    except ValidationError as error:
        return None, errors_of(error)


def renamed(errors: list[FormError], name_of: Callable[[str], str]) -> list[FormError]:
    """The same problems under other names (a form's field → the card input that held it)."""
    return [FormError(name_of(e.name), e.code, e.params) for e in errors]

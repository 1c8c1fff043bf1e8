"""Turning a pydantic validation error into the one line a user reads (DESIGN §5).

The line is ``<key path>: <what is wrong>``, the key path spelled as in
the file (``stores[1].token``), built from the error's location.  Pydantic
puts the platform or backend tag into locations inside a tagged union
(``stores.0.shopify.token``); walking the location against the data that
was validated tells real keys from tags, and the tag names the platform in
"is required for platform shopify".
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from orderupd_tui.config_fields import kind_of

_STRUCTURE = {"extra_forbidden", "missing", "union_tag_invalid", "union_tag_not_found",
              "config_missing"}
"""Shown before any wrong value: a misspelt key explains the value errors around it."""


def first_problem(exc: ValidationError, data: Any, *, prefix: str = "",
                  choices: dict[str, tuple[str, ...]] | None = None) -> str:
    """The most telling error of ``exc`` as ``path: message``; ``prefix`` starts the path.

    ``choices`` lists the platforms (under ``stores``) and backends (under
    ``accounting``), for the message about an unknown one.
    """
    errors = exc.errors(include_url=False)
    ranked = sorted(range(len(errors)),
                    key=lambda i: (errors[i]["type"] not in _STRUCTURE, i))
    return describe(errors[ranked[0]], data, prefix=prefix, choices=choices or {})


def describe(error: ErrorDetails, data: Any, *, prefix: str,
             choices: dict[str, tuple[str, ...]]) -> str:
    tags = {t for known in choices.values() for t in known}
    path, tag = _key_path(error["loc"], data, prefix, tags)
    section = "stores" if path.startswith("stores") else (
        "accounting" if path.startswith("accounting") else "")
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind in ("config", "config_missing"):
        key = ctx.get("key")
        if ctx.get("sibling"):
            path = f"{path.rpartition('.')[0]}.{ctx['sibling']}"
        elif key:
            path = f"{path}{key}" if key.startswith("[") else f"{path}.{key}" if path else key
        return f"{path}: {ctx['message']}"
    if kind == "missing":
        what = {"stores": f"is required for platform {tag}",
                "accounting": f"required for the {tag} backend"}.get(section, "is required")
        return f"{path}: {what}"
    if kind == "extra_forbidden":
        what = f"unknown key for the {tag} backend" if section == "accounting" else "unknown key"
        return f"{path}: {what}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = "platform" if section == "stores" else "backend"
        known = ", ".join(choices.get(section, ()))
        given = ctx.get("tag")
        if kind == "union_tag_not_found" or given is None:
            return f"{path}.{key}: is required: use one of {known}"
        if section == "stores":
            return f"{path}.{key}: unknown platform {given!r}: use one of {known}"
        return f"{path}.{key}: {given!r} is not one of {known}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{path}: must be a mapping, not {kind_of(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"{path}: must be a list, not {kind_of(value)}"
    if kind in ("string_type", "string_too_short"):
        return f"{path}: must be a string, not {kind_of(value)}"
    if kind.startswith("bool"):
        return f"{path}: must be true or false"
    return f"{path}: {error['msg'][:1].lower()}{error['msg'][1:]}"


def _key_path(loc: tuple[int | str, ...], data: Any, prefix: str, tags: set[str],
              ) -> tuple[str, str]:
    """``(path, tag)``: the key path in the file and the last union tag passed on the way."""
    path = prefix
    node = data
    tag = ""
    for i, element in enumerate(loc):
        if isinstance(node, list) and isinstance(element, int) and 0 <= element < len(node):
            path += f"[{element}]"
            node = node[element]
        elif isinstance(node, dict) and element in node:
            path = f"{path}.{element}" if path else str(element)
            node = node[element]
        elif i == len(loc) - 1 and element not in tags:
            path = f"{path}.{element}" if path else str(element)
            node = None
        else:
            tag = str(element)
    return path, tag

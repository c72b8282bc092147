"""Read a menu, its strings and the areas from YAML into model objects.

Every defect becomes a Problem instead of an exception, so `gateway menus check` can list
them all at once; the result is a best-effort Menu that the checker inspects further.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml

from menus.model import (
    ACTIONS, EFFECTS, KINDS, MAX_TEXT, NAVS, RESERVED_KEYS, Item, Menu, Option, Problem, Region, Screen,
)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys: PyYAML would silently keep the last one."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: Path, problems: list[Problem]):
    """Parsed YAML, or None with a problem (missing file, syntax error, duplicate key)."""
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506  (a SafeLoader subclass)
    except (OSError, UnicodeDecodeError):
        problems.append(Problem(path.name, "file", "cannot be read"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        problems.append(Problem(path.name, where, f"invalid YAML: {getattr(err, 'problem', None) or err}"))
    return None


class _Reader:
    """Collects problems for one file while its data is turned into model objects."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file, self.problems = file, problems

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))

    def mapping(self, data, where: str) -> dict:
        if isinstance(data, dict):
            return data
        self.problem(where, "must be a mapping")
        return {}

    def text(self, data: dict, name: str, where: str, required: bool = True) -> str | None:
        value = data.get(name)
        if isinstance(value, str) and value:
            return value
        if value is not None or required:
            self.problem(where, f"'{name}' must be a non-empty string")
        return None


def load_menu_files(menu_path: Path, strings_dir: Path, areas_path: Path) -> tuple[Menu | None, list[Problem]]:
    """A Menu (None when the menu file is unusable) and every problem met on the way."""
    problems: list[Problem] = []
    data = read_yaml(menu_path, problems)
    if data is None:
        return None, problems
    reader = _Reader(menu_path.name, problems)
    menu = _parse_menu(reader, reader.mapping(data, "menu"))
    if menu is None:
        return None, problems
    strings = {lang: _load_strings(strings_dir / f"{lang}.yaml", problems) for lang in menu.languages}
    regions = _load_areas(areas_path, problems)
    return replace(menu, strings=strings, regions=regions), problems


def _parse_menu(reader: _Reader, data: dict) -> Menu | None:
    languages = data.get("languages")
    if not (isinstance(languages, list) and languages and all(isinstance(x, str) for x in languages)):
        reader.problem("languages", "must be a non-empty list of language codes")
        return None
    default = data.get("default_language")
    if default not in languages:
        reader.problem("default_language", f"must be one of {languages}")
    page_size = data.get("page_size", 5)
    if not (isinstance(page_size, int) and 1 <= page_size <= 5):
        reader.problem("page_size", "must be a whole number from 1 to 5")
        page_size = 5
    entries = {name: reader.text(data, name, name) or "" for name in ("start", "home", "resume")}
    screens = _parse_screens(reader, reader.mapping(data.get("screens"), "screens"), page_size)
    lists = _parse_lists(reader, reader.mapping(data.get("lists", {}), "lists"))
    return Menu(id=reader.text(data, "id", "id") or "menu", languages=tuple(languages),
                default_language=default if default in languages else languages[0],
                page_size=page_size, screens=screens, lists=lists, **entries)


def _parse_screens(reader: _Reader, data: dict, page_size: int) -> dict[str, Screen]:
    if not data:
        reader.problem("screens", "no screens defined")
    screens = {}
    for screen_id, raw in data.items():
        screen = _parse_screen(reader, str(screen_id), reader.mapping(raw, f"screen '{screen_id}'"), page_size)
        if screen:
            screens[screen.id] = screen
    return screens


def _parse_screen(reader: _Reader, screen_id: str, data: dict, page_size: int) -> Screen | None:
    where = f"screen '{screen_id}'"
    kind = data.get("kind")
    if kind not in KINDS:
        reader.problem(where, f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
        return None
    nav = data.get("nav", "none" if kind in ("end", "resume") else "full")
    if nav not in NAVS:
        reader.problem(where, f"unknown nav {nav!r} (expected one of {', '.join(NAVS)})")
        nav = "full"
    fields = dict(
        id=screen_id, kind=kind, nav=nav, prompt=reader.text(data, "prompt", where) or "",
        save_as=reader.text(data, "save_as", where, required=kind in ("list", "text")),
        next=reader.text(data, "next", where, required=kind in ("list", "text")),
        source=reader.text(data, "source", where, required=kind == "list"),
        options=_parse_options(reader, where, data, kind, page_size),
        max_len=_parse_max_len(reader, where, data.get("max_len", MAX_TEXT)),
        auto_pick_single=data.get("auto_pick_single") is True,
        effect=_parse_effect(reader, where, data.get("effect")),
    )
    return Screen(**fields)


def _parse_max_len(reader: _Reader, where: str, value) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_TEXT:
        return value
    reader.problem(where, f"max_len must be a whole number from 1 to {MAX_TEXT}")
    return MAX_TEXT


def _parse_effect(reader: _Reader, where: str, value) -> str | None:
    if value is not None and value not in EFFECTS:
        reader.problem(where, f"unknown effect {value!r}")
        return None
    return value


def _parse_options(reader: _Reader, where: str, data: dict, kind: str, page_size: int) -> tuple[Option, ...]:
    raw = data.get("options")
    if kind not in ("choice", "confirm", "resume"):
        if raw is not None:
            reader.problem(where, f"a {kind} screen takes no options")
        return ()
    if not isinstance(raw, list) or not raw:
        reader.problem(where, "options must be a non-empty list")
        return ()
    if len(raw) > page_size:
        reader.problem(where, f"{len(raw)} options (max {page_size}; use a list screen for more)")
    options = [_parse_option(reader, where, item, kind) for item in raw]
    keys = [o.key for o in options if o]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        reader.problem(where, f"duplicate option key '{key}'")
    return tuple(o for o in options if o)


def _parse_option(reader: _Reader, where: str, raw, kind: str) -> Option | None:
    data = reader.mapping(raw, f"{where} option")
    key = data.get("key")
    if not isinstance(key, str) or not key.isdigit():
        reader.problem(f"{where} option {key!r}", 'key must be a quoted number, like "1"')
        return None
    where = f"{where} option '{key}'"
    if key in RESERVED_KEYS:
        reader.problem(where, f"key '{key}' is reserved for navigation")
    action = data.get("action")
    if kind == "resume" and action not in ACTIONS:
        reader.problem(where, f"unknown action {action!r} (expected one of {', '.join(ACTIONS)})")
    target = reader.text(data, "next", where, required=kind != "resume")
    return Option(key=key, label=reader.text(data, "label", where) or "", next=target,
                  value=data.get("value"), action=action)


def _parse_lists(reader: _Reader, data: dict) -> dict[str, tuple[Item, ...]]:
    lists = {}
    for name, raw in data.items():
        where = f"list '{name}'"
        if not isinstance(raw, list) or not raw:
            reader.problem(where, "must be a non-empty list")
            continue
        items = [reader.mapping(item, where) for item in raw]
        lists[str(name)] = tuple(
            Item(value=v, label=lab) for item in items
            if (v := reader.text(item, "value", where)) and (lab := reader.text(item, "label", where)))
    return lists


def _load_strings(path: Path, problems: list[Problem]) -> dict[str, str]:
    """One language file, flattened: {"when": {"now": "Maintenant"}} → {"when.now": ...}."""
    data = read_yaml(path, problems)
    if data is None:
        return {}
    reader = _Reader(path.name, problems)
    flat: dict[str, str] = {}
    _flatten(reader, reader.mapping(data, "file"), "", flat)
    return flat


def _flatten(reader: _Reader, data: dict, prefix: str, out: dict[str, str]) -> None:
    for name, value in data.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            _flatten(reader, value, key + ".", out)
        elif isinstance(value, str) and value.strip():
            out[key] = value.strip("\n")
        else:
            # YAML turns a bare No/Yes/On/Off into true/false: the usual translator trap.
            reader.problem(f"key '{key}'", "value must be non-empty text (put it in quotes)")
            out[key] = ""  # reported once here, not again as "missing"


def _load_areas(path: Path, problems: list[Problem]) -> tuple[Region, ...]:
    data = read_yaml(path, problems)
    if data is None:
        return ()
    reader = _Reader(path.name, problems)
    raw = reader.mapping(data, "file").get("regions")
    if not isinstance(raw, list) or not raw:
        reader.problem("regions", "must be a non-empty list")
        return ()
    return tuple(r for r in (_parse_region(reader, item) for item in raw) if r)


def _parse_region(reader: _Reader, raw) -> Region | None:
    data = reader.mapping(raw, "region")
    pcode, name = reader.text(data, "pcode", "region"), reader.text(data, "name", "region")
    if not (pcode and name):
        return None
    where = f"region {pcode}"
    cercles = data.get("cercles")
    if not isinstance(cercles, list) or not cercles:
        reader.problem(where, "cercles must be a non-empty list")
        return None
    items = [reader.mapping(c, where) for c in cercles]
    return Region(pcode, name, tuple(
        Item(value=c_pcode, label=c_name, literal=True) for c in items
        if (c_pcode := reader.text(c, "pcode", where)) and (c_name := reader.text(c, "name", where))))

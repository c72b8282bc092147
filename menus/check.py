"""Validate menu files: what `gateway menus check` runs (and load_menu refuses to serve).

Finds unknown targets, unreachable screens, strings missing in a language, unknown
placeholders, non-GSM-7 characters and any rendered screen over 182 septets, in every
language, on every page of every list, with and without the invalid-input hint, with the
confirm echo at its longest and "{ref}" filled with a realistic 8-character code.
Each Problem prints as one stable line: "<file>: <screen or key>: <what is wrong>".
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from menus.loader import load_menu_files
from menus.model import (
    AREA_SOURCES, ECHO_LEN, ENGINE_KEYS, LANGUAGE_KEY, MAX_SCREEN, MORE, REF_EXAMPLE, Menu, Problem, Screen,
)
from menus.render import label, render
from menus.text import non_gsm7, placeholders, septets

MENUS_DIR = Path(__file__).parent
NOT_MENUS = ("areas.yaml",)


def check_default(menus_dir: Path = MENUS_DIR) -> list[Problem]:
    """Check every menu of a directory laid out like the package (default: the shipped menus):
    menus as *.yaml, strings/<language>.yaml, areas.yaml."""
    menus_dir = Path(menus_dir)
    problems: list[Problem] = []
    for menu_path in sorted(menus_dir.glob("*.yaml")):
        if menu_path.name not in NOT_MENUS:
            problems += check_menu_files(menu_path, menus_dir / "strings", menus_dir / "areas.yaml")
    return problems


def check_menu_files(menu_path, strings_dir, areas_path) -> list[Problem]:
    """All problems of one menu file with its strings directory and areas file."""
    menu_path, areas_path = Path(menu_path), Path(areas_path)
    menu, problems = load_menu_files(menu_path, Path(strings_dir), areas_path)
    if menu is not None:
        problems += check_menu(menu, menu_file=menu_path.name, areas_file=areas_path.name)
    return problems


def check_menu(menu: Menu, menu_file: str = "report.yaml", areas_file: str = "areas.yaml") -> list[Problem]:
    """Problems of a loaded menu: its graph first; strings and screen lengths only if the graph holds."""
    graph = _check_graph(menu, menu_file)
    if graph:
        return graph  # rendering a broken graph would only add noise
    problems = _check_areas(menu, areas_file)
    for language in menu.languages:
        if menu.strings.get(language):  # an unreadable file was already reported by the loader
            problems += _check_strings(menu, language) + _check_lengths(menu, language)
    return problems


# --- the graph: entries, targets, sources, reachability -------------------------------------

def _check_graph(menu: Menu, file: str) -> list[Problem]:
    problems = [Problem(file, entry, f"unknown screen '{target}'")
                for entry, target in (("start", menu.start), ("home", menu.home), ("resume", menu.resume))
                if target not in menu.screens]
    for screen in menu.screens.values():
        problems += _check_screen_links(menu, screen, file)
    if problems:
        return problems
    problems += _check_entries(menu, file)
    reachable = _reachable(menu)
    problems += [Problem(file, f"screen '{s}'", "unreachable") for s in menu.screens if s not in reachable]
    return problems


def _check_screen_links(menu: Menu, screen: Screen, file: str) -> list[Problem]:
    where = f"screen '{screen.id}'"
    problems = []
    if screen.next and screen.next not in menu.screens:
        problems.append(Problem(file, where, f"unknown target '{screen.next}'"))
    for option in screen.options:
        if option.next and option.next not in menu.screens:
            problems.append(Problem(file, f"{where} option '{option.key}'", f"unknown target '{option.next}'"))
    if screen.kind == "list" and screen.source not in menu.lists and screen.source not in AREA_SOURCES:
        problems.append(Problem(file, where, f"unknown list source '{screen.source}'"))
    elif screen.kind == "list" and len(menu.lists.get(screen.source, ())) >= int(MORE):
        problems.append(Problem(file, where, f"list '{screen.source}' too long: item numbers would reach {MORE}"))
    return problems


def _check_entries(menu: Menu, file: str) -> list[Problem]:
    """The engine relies on these shapes: a language choice first, a real resume screen."""
    problems = []
    start = menu.screens[menu.start]
    if start.kind != "choice" or start.save_as != LANGUAGE_KEY:
        problems.append(Problem(file, f"screen '{start.id}'", f"start must be a choice screen saving '{LANGUAGE_KEY}'"))
    for option in start.options:
        if start.save_as == LANGUAGE_KEY and option.value not in menu.languages:
            problems.append(Problem(file, f"screen '{start.id}' option '{option.key}'",
                                    f"value {option.value!r} is not one of the menu's languages"))
    if menu.screens[menu.resume].kind != "resume":
        problems.append(Problem(file, "resume", f"screen '{menu.resume}' must be of kind resume"))
    if menu.screens[menu.home].kind in ("end", "resume"):
        problems.append(Problem(file, "home", f"screen '{menu.home}' cannot be an end or resume screen"))
    return problems


def _reachable(menu: Menu) -> set[str]:
    seen: set[str] = set()
    todo = [menu.start, menu.home, menu.resume]
    while todo:
        screen_id = todo.pop()
        if screen_id in seen:
            continue
        seen.add(screen_id)
        screen = menu.screens[screen_id]
        todo += [t for t in (screen.next, *(o.next for o in screen.options)) if t]
    return seen


# --- data: areas -----------------------------------------------------------------------------

def _check_areas(menu: Menu, file: str) -> list[Problem]:
    problems = []
    for region in menu.regions:
        problems += _gsm_problems(file, f"region {region.pcode}", region.name)
        for cercle in region.cercles:
            problems += _gsm_problems(file, f"region {region.pcode} cercle {cercle.value}", cercle.label)
    return problems


# --- strings: missing keys, placeholders, GSM-7 ----------------------------------------------

def _referenced_keys(menu: Menu) -> dict[str, tuple[str, ...]]:
    """{string key: placeholders allowed in it} for every string the engine may show."""
    keys: dict[str, tuple[str, ...]] = {key: () for key in ENGINE_KEYS}
    fields = tuple(s.id for s in menu.screens.values() if s.save_as)
    for screen in menu.screens.values():
        keys[screen.prompt] = fields if screen.kind == "confirm" else ("ref",) if screen.kind == "end" else ()
        keys.update({o.label: () for o in screen.options})
        if screen.kind == "list" and screen.source in menu.lists:
            keys.update({item.label: () for item in menu.lists[screen.source]})
    return keys


def _check_strings(menu: Menu, language: str) -> list[Problem]:
    file, strings = f"{language}.yaml", menu.strings[language]
    problems = []
    for key, allowed in _referenced_keys(menu).items():
        text = strings.get(key)
        if text is None:
            problems.append(Problem(file, f"key '{key}'", "missing"))
            continue
        problems += [Problem(file, f"key '{key}'", f"unknown placeholder {{{name}}}")
                     for name in placeholders(text) if name not in allowed]
        problems += _gsm_problems(file, f"key '{key}'", text)
    problems += _check_ref_shown(menu, language)
    return problems


def _check_ref_shown(menu: Menu, language: str) -> list[Problem]:
    """The final screen of a submitted report must show the reference code."""
    return [Problem(f"{language}.yaml", f"key '{s.prompt}'", "must contain {ref}")
            for s in menu.screens.values()
            if s.effect == "submit_report" and s.prompt in menu.strings[language]
            and "ref" not in placeholders(menu.strings[language][s.prompt])]


def _gsm_problems(file: str, where: str, text: str) -> list[Problem]:
    return [Problem(file, where, f"non-GSM-7 character {ch!r} (U+{ord(ch):04X})") for ch in non_gsm7(text)]


# --- rendered screens: every variant a user can see ------------------------------------------

def _check_lengths(menu: Menu, language: str) -> list[Problem]:
    problems = []
    for screen in menu.screens.values():
        for where, text in _variants(menu, screen, language):
            if septets(text) > MAX_SCREEN:
                problems.append(Problem(f"{language}.yaml", where, f"{septets(text)} characters (max {MAX_SCREEN})"))
    return problems


def _variants(menu: Menu, screen: Screen, language: str) -> Iterator[tuple[str, str]]:
    """(where, text) for each distinct screen a user can see, hint-prefixed variants included."""
    base = f"screen '{screen.id}'"
    if screen.kind == "end":
        yield base, render(menu, screen, language).replace("{ref}", REF_EXAMPLE)
        return
    hint = "hint.empty" if screen.kind == "text" else "hint.invalid"
    fields = _longest_fields(menu, language)
    for context, answers in _list_contexts(menu, screen):
        pages = menu.page_count(screen, answers)
        for page in range(pages):
            where = base + context + (f" page {page + 1}/{pages}" if pages > 1 else "")
            for suffix, shown_hint in (("", None), (" with hint", hint)):
                text = render(menu, screen, language, page=page, answers=answers, fields=fields, hint=shown_hint)
                yield where + suffix, text


def _list_contexts(menu: Menu, screen: Screen) -> Iterator[tuple[str, dict]]:
    """Cercle lists differ per region: check each region's list."""
    if screen.kind == "list" and screen.source == "cercles":
        for region in menu.regions:
            yield f" (region {region.pcode})", {"region_pcode": region.pcode}
    else:
        yield "", {}


def _longest_fields(menu: Menu, language: str) -> dict[str, str]:
    """The longest thing the confirm screen could echo for each answer, in this language."""
    fields = {}
    for screen in menu.screens.values():
        if not screen.save_as:
            continue
        if screen.kind == "text":
            candidates = ["W" * ECHO_LEN]
        elif screen.kind == "list":
            candidates = [label(menu, item, language) for answers in _all_answer_contexts(menu, screen)
                          for item in menu.items(screen.source, answers)]
        else:
            candidates = [menu.text(language, o.label) for o in screen.options]
        fields[screen.id] = max(candidates, key=septets, default="")
    return fields


def _all_answer_contexts(menu: Menu, screen: Screen) -> list[dict]:
    return [answers for _, answers in _list_contexts(menu, screen)]


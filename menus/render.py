"""Turn a screen, a language and the answers so far into the text of one USSD screen."""
from __future__ import annotations

from menus.model import MORE, Item, Menu, Screen
from menus.text import echo, fill


def render(menu: Menu, screen: Screen, language: str, *, page: int = 0, answers: dict | None = None,
           fields: dict[str, str] | None = None, hint: str | None = None) -> str:
    """Screen text without the CON/END prefix. `fields` overrides the confirm echo (checker)."""
    answers = answers or {}
    lines = [menu.text(language, hint)] if hint else []
    prompt = menu.text(language, screen.prompt)
    if fields is None:   # the echo of every answer costs most of a hop: only for prompts that show it
        fields = summary_fields(menu, language, answers) if "{" in prompt else {}
    lines += fill(prompt, fields).split("\n")
    lines += _option_lines(menu, screen, language, page, answers)
    if screen.kind != "end" and screen.nav != "none":
        lines.append(menu.text(language, _nav_key(screen, page)))
    # Trim each line of spaces and end commas, so an empty echo ("{place}, {cercle}") leaves no litter.
    return "\n".join(line.strip().strip(",").strip() for line in lines)


def _nav_key(screen: Screen, page: int) -> str:
    """On later pages "0" means previous page, so the change-language label would lie."""
    return "nav.full" if screen.nav == "language" and page > 0 else f"nav.{screen.nav}"


def _option_lines(menu: Menu, screen: Screen, language: str, page: int, answers: dict) -> list[str]:
    if screen.kind == "list":
        items = menu.items(screen.source, answers)
        first = page * menu.page_size
        lines = [f"{first + n}. {label(menu, item, language)}"
                 for n, item in enumerate(items[first:first + menu.page_size], start=1)]
        if len(items) > menu.page_size:
            lines.append(f"{MORE}. {menu.text(language, 'nav.more')}")
        return lines
    return [f"{o.key}. {menu.text(language, o.label)}" for o in screen.options]


def label(menu: Menu, item: Item, language: str) -> str:
    return item.label if item.literal else menu.text(language, item.label)


def summary_fields(menu: Menu, language: str, answers: dict) -> dict[str, str]:
    """{screen_id: what the user chose there, as words} for the confirm screen's placeholders."""
    return {s.id: display_answer(menu, s, language, answers) for s in menu.screens.values() if s.save_as}


def display_answer(menu: Menu, screen: Screen, language: str, answers: dict) -> str:
    value = answers.get(screen.save_as)
    if screen.kind == "text":
        return echo(value if isinstance(value, str) else None)
    if screen.kind == "list":
        item = next((i for i in menu.items(screen.source, answers) if i.value == value), None)
        return label(menu, item, language) if item else ""
    option = next((o for o in screen.options if o.value == value and type(o.value) is type(value)), None)
    return menu.text(language, option.label) if option else ""

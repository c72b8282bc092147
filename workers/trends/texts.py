"""SMS texts for trend warnings and weekly digests, in fr, en and bm. GSM-7, at most 2 segments.

Counts of 1 or 2 are written "<3" (a digest leaves the staff console); a change from the week
before is shown as a number only when neither week is masked, since "<3 (+1)" would tell.
Bambara strings need review by a native speaker (as the category labels do).
"""
from __future__ import annotations

from datetime import timedelta

from gateway.categories import label
from gateway.gsm7 import MULTI_SEGMENT, fit, septets, to_gsm7
from gateway.trends import areas
from gateway.trends.disclosure import is_masked, shown
from gateway.trends.weeks import week_number
from workers.trends.digest import CategoryCount, DigestFigures
from workers.trends.spikes import Spike

TWO_SEGMENTS = 2 * MULTI_SEGMENT            # 306 septets

AREA = {
    "fr": {"region": "region de {name}", "cercle": "cercle de {name}"},
    "en": {"region": "{name} region", "cercle": "{name} cercle"},
    "bm": {"region": "{name} mara", "cercle": "{name} sèrèkili"},            # bm: needs native review
}
WARNING = {
    "fr": "ALERTE TENDANCE {category} - {area}: {observed} personnes ont signale en 7 jours "
          "(habituel: {usual}/semaine). Pour information, pas de reponse requise.",
    "en": "TREND WARNING {category} - {area}: {observed} people reported in 7 days "
          "(usual: {usual}/week). For information, no reply needed.",
    # bm: needs native review
    "bm": "LADONNI {category} - {area}: mògò {observed} ye kunnafoni di tile 7 kònò "
          "(a ka c'a la: {usual}/dògòkun). Jaabi man kan.",
}
DIGEST = {
    "fr": {"header": "Bilan hebdo S{week} ({start}-{end}), {zone}:", "zones": "vos zones",
           "before": "S{week}: {count}", "busiest": "Plus touches: {names}", "open": "Non clos: {count}",
           "more": "+{count} autres categories"},
    "en": {"header": "Weekly summary W{week} ({start}-{end}), {zone}:", "zones": "your areas",
           "before": "W{week}: {count}", "busiest": "Most reports: {names}", "open": "Still open: {count}",
           "more": "+{count} more categories"},
    # bm: needs native review
    "bm": {"header": "Dògòkun kunnafoni D{week} ({start}-{end}), {zone}:", "zones": "aw ka yòrò",
           "before": "D{week}: {count}", "busiest": "Yòrò minnu ka ca: {names}", "open": "Minnu ma ban: {count}",
           "more": "+{count} wèrè"},
}


def _language(language: str) -> str:
    return language if language in DIGEST else "fr"


def area_phrase(pcode: str, language: str) -> str | None:
    """'cercle de Niono'; None for a place without a known name (a commune)."""
    if pcode not in areas.names():
        return None
    return AREA[_language(language)][areas.level(pcode)].format(name=areas.name(pcode))


def warning_text(spike: Spike, language: str) -> str:
    language = _language(language)
    body = WARNING[language].format(category=label(spike.category, language), observed=spike.observed,
                                    area=area_phrase(spike.area, language) or spike.area,
                                    usual=shown(round(spike.expected)))
    return fit(to_gsm7(body), TWO_SEGMENTS)


def digest_text(figures: DigestFigures, language: str) -> str:
    """The digest, fitted to two segments: the busiest-cercles line goes first, then the
    smallest categories (summed up as '+N more'), never the header or the open count."""
    s = DIGEST[_language(language)]
    head = _header(figures, language, s)
    tail = [s["open"].format(count=shown(figures.open_reports))]
    lines = [_category_line(line, figures, language, s) for line in figures.lines]
    extra = [s["busiest"].format(names=", ".join(areas.name(p) for p in figures.busiest))] if figures.busiest else []
    for keep in range(len(lines), -1, -1):
        more = [s["more"].format(count=len(lines) - keep)] if keep < len(lines) else []
        for optional in (extra, []):
            text = to_gsm7("\n".join([head, *lines[:keep], *more, *optional, *tail]))
            if septets(text) <= TWO_SEGMENTS:
                return text
    return fit(to_gsm7("\n".join([head, *tail])), TWO_SEGMENTS)


def _header(figures: DigestFigures, language: str, s: dict) -> str:
    zone = area_phrase(figures.areas[0], language) if len(figures.areas) == 1 else None
    end = figures.week_start + timedelta(days=6)
    return s["header"].format(week=week_number(figures.week_start), start=f"{figures.week_start:%d/%m}",
                              end=f"{end:%d/%m}", zone=zone or s["zones"])


def _category_line(line: CategoryCount, figures: DigestFigures, language: str, s: dict) -> str:
    if is_masked(line.this_week) or is_masked(line.last_week):
        before = week_number(figures.week_start - timedelta(days=7))
        change = s["before"].format(week=before, count=shown(line.last_week))
    else:
        difference = line.this_week - line.last_week
        change = f"{difference:+d}" if difference else "="
    return f"{label(line.category, language)}: {shown(line.this_week)} ({change})"


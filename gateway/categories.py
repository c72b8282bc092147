"""Category codes (stable; DESIGN §3) and their short labels per language for SMS texts."""

CATEGORIES = (
    "violent_extremism", "organised_crime", "resource_conflict", "border_security",
    "gender_based_violence", "intercommunal_conflict", "security_forces_conduct",
    "civil_unrest", "other",
)

# Labels are GSM-7 so that an alert stays one segment where it can.
LABELS = {
    "fr": {
        "violent_extremism": "Extremisme violent", "organised_crime": "Crime organise/trafic",
        "resource_conflict": "Conflit terre/eau/mines", "border_security": "Securite frontaliere",
        "gender_based_violence": "Violence basee sur le genre", "intercommunal_conflict": "Conflit intercommunautaire",
        "security_forces_conduct": "Conduite des forces", "civil_unrest": "Troubles civils", "other": "Autre",
    },
    "en": {
        "violent_extremism": "Violent extremism", "organised_crime": "Organised crime/trafficking",
        "resource_conflict": "Land/water/mining conflict", "border_security": "Border security",
        "gender_based_violence": "Gender-based violence", "intercommunal_conflict": "Intercommunal conflict",
        "security_forces_conduct": "Security forces conduct", "civil_unrest": "Civil unrest", "other": "Other",
    },
    # Bambara labels need review by a native speaker.
    "bm": {
        "violent_extremism": "Jihadiw ka fariyakow", "organised_crime": "Sonyali/jago jugu",
        "resource_conflict": "Dugukolo/ji/sanu kèlè", "border_security": "Dancè lakana",
        "gender_based_violence": "Musow ka tòòrò", "intercommunal_conflict": "Siyaw cè kèlè",
        "security_forces_conduct": "Sòròdasiw ka kèwale", "civil_unrest": "Jama murutili", "other": "Wèrè",
    },
}


def label(category: str | None, language: str) -> str:
    table = LABELS.get(language, LABELS["fr"])
    return table.get(category or "other", table["other"])

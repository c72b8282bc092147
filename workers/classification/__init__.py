"""Classify community reports into the DESIGN category codes, with urgency.

    >>> classify("des hommes armes sur motos ont attaque le village, 3 morts").category
    'violent_extremism'

Rules live in lexicons/*.yaml (one file per language plus rules.yaml), so staff can extend them.
"""
from .engine import CATEGORIES, LOW_CONFIDENCE, Classification, classify

__all__ = ["CATEGORIES", "LOW_CONFIDENCE", "Classification", "classify"]

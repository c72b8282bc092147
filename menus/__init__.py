"""USSD menus as data plus a pure engine (no Flask, no DB, no gateway/workers imports).

Public API: load_menu, step, StepResult, MenuError (menus.engine); check_menu_files,
check_default, Problem (menus.check). See menus/README.md.
"""
from menus.check import check_default, check_menu_files
from menus.engine import MenuError, StepResult, load_menu, step
from menus.model import Problem

__all__ = ["MenuError", "Problem", "StepResult", "check_default", "check_menu_files", "load_menu", "step"]

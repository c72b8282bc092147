import pytest

from menus.engine import load_menu


@pytest.fixture(scope="session")
def menu():
    return load_menu()

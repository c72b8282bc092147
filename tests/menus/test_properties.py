"""Property tests: whatever arrives, step() answers with a valid screen and a storable state."""
import json
import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from menus.engine import load_menu, step
from menus.model import MAX_SCREEN, REF_EXAMPLE
from menus.text import non_gsm7, septets

MENU = load_menu()  # module level: hypothesis does not mix with function-scoped fixtures
CATEGORIES = {item.value for item in MENU.lists["categories"]}
ANSWER_KEYS = {"language", "category", "region_pcode", "cercle_pcode", "place_text", "when",
               "danger_now", "description"}

# Mostly keys that move the journey, so runs get deep; sometimes anything at all.
hop_inputs = st.one_of(
    st.sampled_from(["0", "00", "99", "1", "2", "3", "4", "5", "7", "9", "", " 1 ", None]),
    st.text(max_size=40), st.text(min_size=500, max_size=700),
)
languages = st.sampled_from([None, "fr", "bm", "en", "xx"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


class _ErrorCounter(logging.Handler):
    """The engine's catch-all must never be what saves a hop."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record):
        self.count += 1


def _assert_valid(result) -> None:
    shown = result.reply.replace("{ref}", REF_EXAMPLE)
    assert septets(shown) <= MAX_SCREEN, shown
    assert not non_gsm7(shown), shown
    json.dumps(result.state)
    for effect in result.effects:
        if effect["type"] == "submit_report":
            answers = effect["answers"]
            assert set(answers) == ANSWER_KEYS and answers["category"] in CATEGORIES
            assert isinstance(answers["danger_now"], bool)


@settings(max_examples=200, deadline=None)
@given(language=languages, hops=st.lists(hop_inputs, max_size=30))
def test_random_input_sequences(language, hops):
    counter = _ErrorCounter()
    logging.getLogger("menus.engine").addHandler(counter)
    try:
        state = None
        for user_input in hops:
            result = step(MENU, state, user_input, language=language)
            _assert_valid(result)
            state = json.loads(json.dumps(result.state))
    finally:
        logging.getLogger("menus.engine").removeHandler(counter)
    assert counter.count == 0


@settings(max_examples=150, deadline=None)
@given(state=json_values, user_input=hop_inputs, language=languages)
def test_arbitrary_state_shapes(state, user_input, language):
    _assert_valid(step(MENU, state, user_input, language=language))

"""Put-right edits written into an answer (`agent.edits.spliced`)."""

from __future__ import annotations

from langchain_llmorch.agent.edits import spliced


def test_edits_given_in_any_order_are_written_where_they_were_found() -> None:
    text = "It is 24 pounds and $145."
    edits = [(6, 15, "24 kilograms"), (20, 24, "145 euros")]
    assert spliced(text, edits) == spliced(text, reversed(edits))
    assert spliced(text, edits) == "It is 24 kilograms and 145 euros."


def test_no_edit_leaves_the_text_as_it_is() -> None:
    assert spliced("Nothing to mend.", []) == "Nothing to mend."

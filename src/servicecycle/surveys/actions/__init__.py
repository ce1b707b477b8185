"""Every write to surveys, their waves and questions, and their responses goes through these functions.

``design`` holds the survey's structure (editable while it is a draft), ``responses`` the recording of
answers. Import them from here: ``from servicecycle.surveys import actions``.
"""

from servicecycle.surveys.actions.design import (
    ATTRIBUTE_KINDS,
    CHOICE_KINDS,
    CHOSEN_SCALES,
    FIXED_SCALES,
    add_attribute,
    add_question,
    add_wave,
    create_survey,
    set_survey_status,
)
from servicecycle.surveys.actions.responses import ANSWER_KEYS, hash_token, record_response

__all__ = [
    "ANSWER_KEYS",
    "ATTRIBUTE_KINDS",
    "CHOICE_KINDS",
    "CHOSEN_SCALES",
    "FIXED_SCALES",
    "add_attribute",
    "add_question",
    "add_wave",
    "create_survey",
    "hash_token",
    "record_response",
    "set_survey_status",
]

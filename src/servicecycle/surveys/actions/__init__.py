"""Every write to surveys, their waves and questions, and their responses goes through these functions.

``design`` holds the survey's structure (editable while it is a draft), ``responses`` the recording of
answers. Import them from here: ``from servicecycle.surveys import actions``.
"""

from servicecycle.surveys.actions.blueprints import create_from_blueprint
from servicecycle.surveys.actions.collection import (
    Submitted,
    create_invitation,
    current_wave,
    open_draft,
    restart_draft,
    save_draft,
    submit_draft,
)
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
from servicecycle.surveys.actions.editing import (
    move_question,
    remove_attribute,
    remove_question,
    reorder_questions,
    set_public_link,
    update_attribute,
    update_question,
    update_survey,
)
from servicecycle.surveys.actions.responses import ANSWER_KEYS, hash_token, record_response

__all__ = [
    "ANSWER_KEYS",
    "ATTRIBUTE_KINDS",
    "CHOICE_KINDS",
    "CHOSEN_SCALES",
    "FIXED_SCALES",
    "Submitted",
    "add_attribute",
    "add_question",
    "add_wave",
    "create_from_blueprint",
    "create_invitation",
    "create_survey",
    "current_wave",
    "hash_token",
    "move_question",
    "open_draft",
    "record_response",
    "remove_attribute",
    "remove_question",
    "reorder_questions",
    "restart_draft",
    "save_draft",
    "set_public_link",
    "set_survey_status",
    "submit_draft",
    "update_attribute",
    "update_question",
    "update_survey",
]

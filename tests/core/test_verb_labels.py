"""Every audit verb the code records has a translated label, and the audit trail shows labels, not codes.

The verbs are read from the source (not from a list kept by hand): every call that passes ``verb=...``, and every
positional argument in the ``verb`` place of a helper that takes one (``_audit(user, "staff.two_step_on")``).
A verb given through a name (``verb=OUTCOME_ACCEPTED``, ``verb = "case.sla_warning"`` then ``verb=verb``) is
followed to the strings assigned to that name; a verb passed on from the helper's own ``verb`` parameter is
checked at the helper's callers. An f-string verb is matched as a pattern against the registry's verbs.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from servicecycle.core.verbs import VERB_LABELS, field_label, verb_label
from servicecycle.people import actions as people
from servicecycle.surveys.models import Question
from tests import factories
from tests.people import builders as people_builders
from tests.surveys import builders as survey_builders

SOURCE = Path(__file__).resolve().parents[2] / "src" / "servicecycle"


@dataclass
class Found:
    verbs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # verb -> where
    patterns: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # f-string regex -> where
    unresolved: list[str] = field(default_factory=list)


def _modules(root: Path) -> dict[Path, ast.Module]:
    return {
        path: ast.parse(path.read_text(encoding="utf-8"), str(path))
        for path in sorted(root.rglob("*.py"))
        if "migrations" not in path.parts
    }


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _enclosing_function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> ast.AST | None:
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
    return None


def _parameters(function: ast.AST | None) -> set[str]:
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return set()
    a = function.args
    return {p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs]}


def _assigned(scope: ast.AST, name: str) -> list[ast.expr]:
    """The values assigned to ``name`` anywhere in the scope (``NAME = ...`` and ``NAME: T = ...``)."""
    values: list[ast.expr] = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            values.append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            values.extend([node.value] if node.value is not None else [])
    return values


def collect_recorded_verbs(root: Path = SOURCE) -> Found:
    modules = _modules(root)
    # helpers that take a verb: function name -> {module: positional index of "verb" (None: keyword only)}
    takers: dict[str, dict[Path, int | None]] = defaultdict(dict)
    module_constants: dict[str, list[ast.expr]] = defaultdict(list)  # NAME -> values, any module's top level
    for path, tree in modules.items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                positional = [p.arg for p in [*node.args.posonlyargs, *node.args.args]]
                if "verb" in positional:
                    takers[node.name][path] = positional.index("verb")
                elif "verb" in {p.arg for p in node.args.kwonlyargs}:
                    takers[node.name][path] = None
        for statement in tree.body:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    if isinstance(target, ast.Name):
                        module_constants[target.id].append(statement.value)

    found = Found()

    def resolve(expr: ast.expr, where: str, tree: ast.Module, parents: dict[ast.AST, ast.AST], depth: int = 0) -> None:
        if depth > 5:
            found.unresolved.append(f"{where}: {ast.unparse(expr)}")
        elif isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            found.verbs[expr.value].append(where)
        elif isinstance(expr, ast.JoinedStr):
            pattern = "".join(
                re.escape(str(part.value)) if isinstance(part, ast.Constant) else r"[a-z_]+" for part in expr.values
            )
            found.patterns[f"^{pattern}$"].append(where)
        elif isinstance(expr, ast.IfExp):
            resolve(expr.body, where, tree, parents, depth + 1)
            resolve(expr.orelse, where, tree, parents, depth + 1)
        elif isinstance(expr, ast.Name):
            function = _enclosing_function(expr, parents)
            values = _assigned(function, expr.id) if function is not None else []
            if not values and expr.id in _parameters(function):
                return  # the helper's own verb parameter: its callers are checked
            values = values or _assigned(tree, expr.id) or module_constants.get(expr.id, [])
            if not values:
                found.unresolved.append(f"{where}: {expr.id}")
            for value in values:
                resolve(value, where, tree, parents, depth + 1)
        elif isinstance(expr, ast.Attribute) and expr.attr in module_constants:  # module.CONSTANT
            for value in module_constants[expr.attr]:
                resolve(value, where, tree, parents, depth + 1)
        else:
            found.unresolved.append(f"{where}: {ast.unparse(expr)}")

    for path, tree in modules.items():
        parents = _parents(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(root.parent)}:{node.lineno}"
            for keyword in node.keywords:
                if keyword.arg == "verb":
                    resolve(keyword.value, where, tree, parents)
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            defined = takers.get(name or "", {})
            # the helper of this module when it has one, else the only helper of that name
            index = defined.get(path) if path in defined else None
            if path not in defined and len(defined) == 1:
                index = next(iter(defined.values()))
            if index is not None and index < len(node.args) and not any(k.arg == "verb" for k in node.keywords):
                resolve(node.args[index], where, tree, parents)
    return found


def test_the_collector_reads_verbs_through_names_helpers_conditions_and_f_strings(tmp_path: Path) -> None:
    package = tmp_path / "app"
    package.mkdir()
    (package / "helpers.py").write_text(
        "def note(user, verb, changes):\n    audit.record(actor=user, verb=verb, obj=None)\nDONE = 'thing.done'\n"
    )
    (package / "uses.py").write_text(
        "from app.helpers import note\n"
        "from app import helpers\n"
        "def act(kind, first):\n"
        "    note(None, 'thing.noted', {})\n"
        "    audit.record(verb='thing.made' if first else 'thing.remade', obj=None)\n"
        "    audit.record(verb=helpers.DONE, obj=None)\n"
        "    audit.record(verb=f'thing.{kind}_set', obj=None)\n"
        "    verb = 'thing.warned'\n"
        "    audit.record(verb=verb, obj=None)\n"
        "    audit.record(verb=kind + '.x', obj=None)\n"
    )
    found = collect_recorded_verbs(package)
    assert set(found.verbs) == {"thing.noted", "thing.made", "thing.remade", "thing.done", "thing.warned"}
    assert found.verbs["thing.noted"] == ["app/uses.py:4"]
    assert list(found.patterns) == [r"^thing\.[a-z_]+_set$"]
    assert found.unresolved == ["app/uses.py:10: kind + '.x'"]


def test_the_collector_finds_verbs_given_every_way_the_code_gives_them() -> None:
    found = collect_recorded_verbs()
    assert not found.unresolved, f"verbs the test cannot read (write them as strings): {found.unresolved}"
    assert "survey.created" in found.verbs  # audit.record(verb="...")
    assert "promise.created" in found.verbs  # promises' _audit(acting_user, promise, "promise.created", ...)
    assert "staff.two_step_on" in found.verbs  # two_step's _audit(user, "staff.two_step_on")
    assert "case.sla_warning" in found.verbs  # verb = "case.sla_warning" ... verb=verb
    assert "case.outcome_accepted" in found.verbs  # verb=OUTCOME_ACCEPTED
    assert "case.acknowledged" in found.verbs  # save_step(verb="case.acknowledged", ...)
    assert len(found.verbs) > 90


def test_every_recorded_verb_has_a_label() -> None:
    found = collect_recorded_verbs()
    missing = {verb: where for verb, where in found.verbs.items() if verb not in VERB_LABELS}
    assert not missing, "audit verbs without a label in servicecycle/core/verbs.py VERB_LABELS: " + "; ".join(
        f"{verb!r} (recorded at {', '.join(where)})" for verb, where in sorted(missing.items())
    )
    for pattern, where in found.patterns.items():
        assert any(re.match(pattern, verb) for verb in VERB_LABELS), (
            f"the f-string verb at {', '.join(where)} matches no verb in VERB_LABELS: write out its verbs there"
        )


def test_a_label_is_translated_and_an_unknown_verb_shows_its_code() -> None:
    assert verb_label("survey.created") == "created the survey"
    assert verb_label("something.new") == "something.new"
    with translation.override("es"):
        assert verb_label("promise.given") != "gave the promise to the customer"


def test_field_label_names_the_models_field_and_falls_back_to_the_name() -> None:
    assert field_label("people.candidate", "role_applied") == "role applied for"
    assert field_label("people.course", "refresher_months") == "refresher every (months)"
    assert field_label("people.candidate", "interviewer_id") == "interviewer"  # the column's name
    assert field_label("people.candidate", "no_such_field") == "no_such_field"
    assert field_label("no.such_model", "role_applied") == "role_applied"
    assert field_label("", "role_applied") == "role_applied"
    with translation.override("es"):
        assert field_label("people.candidate", "role_applied") != "role applied for"


def _visible_text(html: str) -> str:
    """The page's text as read, without tags and their attributes (a ``title`` may keep the code)."""
    return re.sub(r"<[^>]*>", " ", html)


@pytest.mark.django_db
def test_the_audit_log_shows_labels_and_field_names_not_codes(client: Client) -> None:
    w = factories.world()
    survey = survey_builders.survey(w.manager, "Delivery survey")
    survey_builders.question(w.manager, survey, Question.Kind.NPS)
    survey_builders.open_survey(w.manager, survey)
    people_builders.candidate(w)
    course = people_builders.course(w, refresher_months=12)
    people.record_completions(
        acting_user=w.manager.user, course=course, staff_ids=[w.agent.pk], completed_on=people_builders.today()
    )
    client.force_login(w.manager.user)

    text = _visible_text(client.get("/audit/").content.decode())

    for label in (
        "created the survey",
        "added a question",
        "changed the survey's status",
        "assessed the candidate",
        "added a course",
        "recorded completed training",
    ):
        assert label in text.replace("&#x27;", "'"), label
    for code in (
        "survey.created",
        "question.added",
        "survey.status_changed",
        "candidate.assessed",
        "course.created",
        "training.completed",
        "role_applied",
        "refresher_months",
    ):
        assert code not in text, code
    assert "role applied for" in text
    assert "refresher every (months)" in text


@pytest.mark.django_db
def test_the_surveys_history_shows_labels_and_field_names(client: Client) -> None:
    w = factories.world()
    survey = survey_builders.survey(w.manager, "Delivery survey")
    survey_builders.question(w.manager, survey, Question.Kind.NPS)
    survey_builders.open_survey(w.manager, survey)
    client.force_login(w.manager.user)

    page = client.get(reverse("survey-detail", kwargs={"pk": survey.pk})).content.decode()
    history = _visible_text(page[page.index('id="timeline-h"') :])

    assert "changed the survey's status" in history.replace("&#x27;", "'")
    assert "created the survey" in history
    assert "survey.status_changed" not in history
    assert "survey.created" not in history
    assert "default_language" not in history  # a field of the survey's snapshot, in words


@pytest.mark.django_db
def test_the_audit_logs_queries_do_not_grow_with_its_rows(client: Client) -> None:
    w = factories.world()
    client.force_login(w.manager.user)

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/audit/").status_code == 200
        return len(captured)

    few = queries_for_page()
    for n in range(5):
        course = people_builders.course(w, name=f"Course {n}", refresher_months=6)
        people.update_course(acting_user=w.manager.user, course=course, name=f"Course {n}", refresher_months=12)
    assert queries_for_page() == few


def test_a_change_reads_as_words_not_as_python() -> None:
    """The history showed [None, {'en': 'Delivery feedback'}] and {'cases': 12, 'files_deleted': 0}."""
    from servicecycle.core.templatetags.servicecycle import change_text

    assert change_text([None, {"en": "Delivery feedback", "ms": "Maklum balas"}]) == (
        "— → en: Delivery feedback; ms: Maklum balas"
    )
    assert change_text([["en"], ["en", "ms"]]) == "en → en, ms"
    assert change_text({"cases": 12, "files_deleted": 0}) == "cases: 12; files_deleted: 0"
    assert change_text([False, True]) == "no → yes"
    assert change_text("[erased]") == "[erased]"

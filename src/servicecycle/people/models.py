"""People: candidates assessed for service attitude, training courses and their completions, and the internal
pulse in which staff rate their manager anonymously."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicecycle.accounts.models import Organization, Staff
from servicecycle.people.content import CRITERIA, PULSE_QUESTIONS, SCORE_MAX, SCORE_MIN


class Candidate(models.Model):
    """A person interviewed for a job, with their scores on the service-attitude checklist (personal data:
    only managers and administrators see it)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("candidate's name"), max_length=200)
    role_applied = models.CharField(_("role applied for"), max_length=120)
    assessed_on = models.DateField(_("interview date"))
    interviewer = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("interviewer"))
    notes = models.TextField(_("overall notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["organization", "-assessed_on"], name="candidate_org_date_idx")]
        verbose_name = _("candidate")

    def __str__(self) -> str:
        return self.name


class CandidateScore(models.Model):
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="scores")
    criterion = models.CharField(max_length=40, choices=[(c.key, c.title) for c in CRITERIA])
    score = models.PositiveSmallIntegerField(_("score"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "criterion"], name="one_score_per_criterion"),
            models.CheckConstraint(
                condition=Q(score__gte=SCORE_MIN, score__lte=SCORE_MAX), name="candidate_score_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"


class Course(models.Model):
    """A training course. Required for every member who serves (all roles but viewers), or only for the front
    line (agents and team leads); with a refresher interval it must be taken again that many months later."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    front_line_only = models.BooleanField(
        _("front line only"),
        default=False,
        help_text=_("Required only for agents and team leads; otherwise required for every member but viewers."),
    )
    refresher_months = models.PositiveSmallIntegerField(
        _("refresher every (months)"),
        null=True,
        blank=True,
        help_text=_("Leave empty when the course is taken once."),
    )
    is_active = models.BooleanField(_("required"), default=True, help_text=_("Untick to retire the course."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unique_course_name"),
            models.CheckConstraint(
                condition=Q(refresher_months__isnull=True) | Q(refresher_months__gte=1, refresher_months__lte=120),
                name="course_refresher_1_to_120_months",
            ),
        ]
        verbose_name = _("course")

    def __str__(self) -> str:
        return self.name


class TrainingRecord(models.Model):
    """One completion of a course by a staff member. The latest completion counts for the refresher."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="training_records")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="records")
    completed_on = models.DateField(_("completed on"))
    score = models.PositiveSmallIntegerField(_("score (%)"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "course", "completed_on"], name="one_completion_per_day"),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=100), name="training_score_0_to_100"),
        ]
        indexes = [models.Index(fields=["course", "staff", "-completed_on"], name="training_course_staff_idx")]
        verbose_name = _("training record")

    def __str__(self) -> str:
        return f"{self.course} {self.completed_on}"


class PulseRound(models.Model):
    """A round of the internal pulse: staff rate the manager they report to, anonymously."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    opened_on = models.DateField(_("opened on"))
    closes_on = models.DateField(_("closes on"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opened_on")), name="pulse_closes_after_opens")
        ]
        verbose_name = _("pulse round")

    def __str__(self) -> str:
        return self.title


class PulseParticipation(models.Model):
    """That a member answered a round about a manager (to allow one answer each), kept apart from the answer."""

    round = models.ForeignKey(PulseRound, on_delete=models.CASCADE, related_name="participations")
    respondent = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    manager = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "respondent", "manager"], name="one_pulse_answer_per_manager")
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.respondent_id} {self.manager_id}"


class PulseAnswer(models.Model):
    """The scores one member gave their manager. It names no respondent and carries no time; its key is
    random, so neither the order of keys nor a timestamp ties it to a participation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(PulseRound, on_delete=models.CASCADE, related_name="answers")
    manager = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    q1 = models.PositiveSmallIntegerField()
    q2 = models.PositiveSmallIntegerField()
    q3 = models.PositiveSmallIntegerField()
    q4 = models.PositiveSmallIntegerField()
    q5 = models.PositiveSmallIntegerField()
    q6 = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["round", "manager"], name="pulse_answer_round_mgr_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{q.key}__gte": SCORE_MIN for q in PULSE_QUESTIONS})
                & Q(**{f"{q.key}__lte": SCORE_MAX for q in PULSE_QUESTIONS}),
                name="pulse_scores_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.manager_id}"

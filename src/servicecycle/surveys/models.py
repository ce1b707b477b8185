"""Surveys: their questions, recurring waves, and the responses with their answers.

Every text a respondent reads is a JSON object {language: text} in the survey's languages
(en, ru, ms, es), so one survey serves every language it lists.

Answers are the big table (millions of rows, loaded in bulk by COPY): one narrow row per
scored item, holding only what the aggregations need. How each question kind stores its answer:

    nps, csat, ces, rating   value = the score on the question's scale
    single_choice            value = the code of the chosen option
    multiple_choice          one row per chosen option, value = its code
    text                     text
    ipa_grid                 one row per attribute: importance, performance, competitor_performance
    servqual_pair            expectation and perception of the item, in one row
    allocation               one row per attribute, value = the points given to it (they sum to the total)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicecycle.accounts.models import LANGUAGE_CHOICES, Customer, Organization
from servicecycle.cases.models import Case
from servicecycle.catalog.models import Service
from servicecycle.cycles.models import Moment

# Bounds shared by every question, cheap to check in the database; each question's own scale is
# checked by the actions (and by the import, column-wise) before rows are written.
SCORE_MIN, SCORE_MAX = (
    0,
    11,
)  # importance, performance, expectation, perception: rating scales up to 11 points
VALUE_MIN, VALUE_MAX = 0, 100  # value: scores, option codes and allocated points


class Survey(models.Model):
    class Kind(models.TextChoices):
        CUSTOM = "custom", _("Custom survey")
        SERVQUAL = "servqual", _("SERVQUAL: expectations and perceptions")
        IMPORTANCE = "importance", _("Importance of candidate services")
        POST_RESOLUTION = "post_resolution", _("Satisfaction after a case is resolved")
        STAFF = "staff", _("Internal staff survey")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Trigger(models.TextChoices):
        CASE_CLOSED = "case_closed", _("A case of the customer is closed")
        PROMISE_KEPT = "promise_kept", _("A promise to the customer is kept")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="surveys")
    titles = models.JSONField(_("title"), default=dict, help_text=_("{language: title}"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CUSTOM)
    languages = models.JSONField(_("languages"), default=list)
    default_language = models.CharField(_("default language"), max_length=5, choices=LANGUAGE_CHOICES, default="en")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
        verbose_name=_("service"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # the public link /s/<public_key>/ answers while the survey is open; None: no public link
    public_key = models.CharField(max_length=32, unique=True, null=True, blank=True)
    one_per_browser = models.BooleanField(_("one response per browser"), default=False)
    # a recurring survey opens its next wave, of this many months, when the current one ends (None: no recurrence)
    recur_months = models.PositiveSmallIntegerField(_("repeat every (months)"), null=True, blank=True)
    # an invitation not answered after this many days gets one reminder (None: no reminder)
    remind_after_days = models.PositiveSmallIntegerField(_("remind after (days)"), null=True, blank=True, default=7)
    # contact rule: a customer invited (by any survey of the organization) within this many days is skipped
    contact_gap_days = models.PositiveSmallIntegerField(
        _("invite a customer at most once every (days)"), null=True, blank=True
    )
    trigger = models.CharField(_("invite automatically after"), max_length=20, choices=Trigger.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status"], name="survey_org_status_idx"),
            models.Index(fields=["organization", "trigger"], condition=~Q(trigger=""), name="survey_org_trigger_idx"),
        ]
        verbose_name = _("survey")

    def __str__(self) -> str:
        return text_in(self.titles, self.default_language)


class Wave(models.Model):
    """One run of a recurring survey; its responses are kept apart so results can be trended."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="waves")
    name = models.CharField(_("name"), max_length=120)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        ordering = ["survey_id", "starts_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "name"], name="unique_wave_name"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="wave_ends_after_start",
            ),
        ]
        verbose_name = _("wave")

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    class Kind(models.TextChoices):
        NPS = "nps", _("Net Promoter Score (0-10)")
        CSAT = "csat", _("Satisfaction (1-5)")
        CES = "ces", _("Customer effort (1-7)")
        RATING = "rating", _("Rating scale")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        TEXT = "text", _("Free text")
        IPA_GRID = "ipa_grid", _("Importance and performance per attribute")
        SERVQUAL_PAIR = "servqual_pair", _("SERVQUAL item: expectation and perception")
        ALLOCATION = "allocation", _("Allocate points among attributes")

    class Dimension(models.TextChoices):
        TANGIBLES = "tangibles", _("Tangibles")
        RELIABILITY = "reliability", _("Reliability")
        RESPONSIVENESS = "responsiveness", _("Responsiveness")
        ASSURANCE = "assurance", _("Assurance")
        EMPATHY = "empathy", _("Empathy")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    texts = models.JSONField(_("question"), default=dict, help_text=_("{language: text}"))
    scale_min = models.SmallIntegerField(_("lowest answer"), null=True, blank=True)
    scale_max = models.SmallIntegerField(_("highest answer"), null=True, blank=True)
    # [{"code": 1, "texts": {language: label}}, ...] for single and multiple choice
    choices = models.JSONField(_("options"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("service")
    )
    moment = models.ForeignKey(
        Moment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("moment of truth"),
    )
    dimension = models.CharField(_("SERVQUAL dimension"), max_length=20, choices=Dimension.choices, blank=True)
    item_number = models.PositiveSmallIntegerField(_("item number"), null=True, blank=True)
    competitor_name = models.CharField(_("competitor rated beside us"), max_length=120, blank=True)
    # {"question": <id of an earlier question>, "values": [scores or option codes]}: shown only then
    condition = models.JSONField(_("display condition"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["survey_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="unique_question_position"),
            models.CheckConstraint(
                condition=Q(scale_min__isnull=True)
                | Q(scale_max__isnull=True)
                | Q(scale_min__lt=models.F("scale_max")),
                name="question_scale_low_below_high",
            ),
        ]
        verbose_name = _("question")

    def __str__(self) -> str:
        return f"{self.position}. {text_in(self.texts, None)}"


class Attribute(models.Model):
    """A row of an importance/performance grid, or one of the things points are allocated to."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="attributes")
    position = models.PositiveSmallIntegerField(_("position"))
    texts = models.JSONField(_("attribute"), default=dict, help_text=_("{language: text}"))
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("service")
    )
    moment = models.ForeignKey(
        Moment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("moment of truth"),
    )
    # for an allocation among the SERVQUAL dimensions: the dimension these points weight
    dimension = models.CharField(_("SERVQUAL dimension"), max_length=20, choices=Question.Dimension.choices, blank=True)

    class Meta:
        ordering = ["question_id", "position"]
        constraints = [models.UniqueConstraint(fields=["question", "position"], name="unique_attribute_position")]
        verbose_name = _("attribute")

    def __str__(self) -> str:
        return text_in(self.texts, None)


class Response(models.Model):
    """One respondent's submitted answers to a survey."""

    class Channel(models.TextChoices):
        WEB = "web", _("Web link")
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")
        PHONE = "phone", _("Phone interview")
        IN_PERSON = "in_person", _("In person")
        KIOSK = "kiosk", _("Kiosk or tablet")
        IMPORT = "import", _("Imported file")

    # (survey, wave) below serves the survey's foreign key too
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses", db_index=False)
    wave = models.ForeignKey(Wave, null=True, blank=True, on_delete=models.PROTECT, related_name="responses")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGE_CHOICES, default="en")
    # SHA-256 of the one-response link's token: a link is used once; the token itself is never stored
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("service")
    )
    moment = models.ForeignKey(
        Moment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("moment of truth"),
    )
    # closed loop: the follow-up case opened for a detractor's or an unsatisfied customer's answer
    follow_up_case = models.OneToOneField(
        Case,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_response",
        verbose_name=_("follow-up case"),
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["survey", "wave"], name="response_survey_wave_idx"),
            # the results' breakdowns by customer start from the responses that name one (few, when imported)
            models.Index(
                fields=["survey", "customer"], condition=Q(customer__isnull=False), name="response_survey_customer_idx"
            ),
        ]
        verbose_name = _("response")

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.pk}"


class Answer(models.Model):
    """One scored item of a response. Narrow on purpose: the module docstring says what each kind stores."""

    id = models.BigAutoField(primary_key=True)
    # (response, question) and (question, value) below also serve the foreign keys' lookups
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers", db_index=False)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers", db_index=False)
    attribute = models.ForeignKey(
        Attribute, null=True, blank=True, on_delete=models.CASCADE, related_name="answers", db_index=False
    )
    value = models.SmallIntegerField(null=True, blank=True)
    importance = models.SmallIntegerField(null=True, blank=True)
    performance = models.SmallIntegerField(null=True, blank=True)
    competitor_performance = models.SmallIntegerField(null=True, blank=True)
    expectation = models.SmallIntegerField(null=True, blank=True)
    perception = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["question", "value"], name="answer_question_value_idx"),
            models.Index(fields=["response", "question"], name="answer_response_question_idx"),
            models.Index(fields=["attribute"], condition=Q(attribute__isnull=False), name="answer_attribute_idx"),
            # the comments, a page at a time in response order (surveys.results.comments)
            models.Index(
                fields=["question", "response"], condition=Q(text__isnull=False), name="answer_text_question_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=VALUE_MIN, value__lte=VALUE_MAX),
                name="answer_value_in_bounds",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True})
                    | Q(**{f"{name}__gte": SCORE_MIN, f"{name}__lte": SCORE_MAX}),
                    name=f"answer_{name}_in_bounds",
                )
                for name in (
                    "importance",
                    "performance",
                    "competitor_performance",
                    "expectation",
                    "perception",
                )
            ),
        ]
        verbose_name = _("answer")

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"


class SurveyFigure(models.Model):
    """How many answers gave each value, per (survey, question, wave, service, moment, channel): the results' counts.

    Kept exact by the writes themselves (see surveys/figures.py): the results page sums these few rows instead of
    counting a big survey's answers. ``question_id`` 0 counts the responses themselves; ``value`` -1 counts the
    responses that answered the question (multiple choice: people, not ticks; free text: the comments). The
    wave, service and moment ids are plain numbers (0: none), as the response had them when it was recorded.
    """

    RESPONSES = 0  # question_id of the rows counting responses
    ANSWERED = -1  # value of the rows counting the responses that answered the question

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+", db_index=False)
    question_id = models.IntegerField()
    wave_id = models.IntegerField(default=0)
    service_id = models.IntegerField(default=0)
    moment_id = models.IntegerField(default=0)
    channel = models.CharField(max_length=10)
    value = models.SmallIntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "question_id", "wave_id", "service_id", "moment_id", "channel", "value"],
                name="unique_survey_figure",
            )
        ]
        verbose_name = _("survey figure")

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.question_id}={self.value}: {self.n}"


class Invitation(models.Model):
    """A personal, single-use link to answer a survey: /s/i/<token>/. Only the token's hash is stored."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    wave = models.ForeignKey(Wave, null=True, blank=True, on_delete=models.PROTECT, related_name="invitations")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGE_CHOICES, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    used_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    response = models.OneToOneField(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )
    # what made it, for invitations made automatically: "case:<id>" or "promise:<id>" (one per survey)
    source = models.CharField(_("source"), max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["survey", "used_at"], name="invitation_survey_used_idx"),
            models.Index(fields=["customer", "created_at"], name="invitation_customer_time_idx"),
            models.Index(
                fields=["sent_at"],
                condition=Q(sent_at__isnull=False, reminded_at__isnull=True, used_at__isnull=True),
                name="invitation_reminder_due_idx",
            ),
            models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="invitation_unsent_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "source"], condition=~Q(source=""), name="unique_invitation_source"
            )
        ]
        verbose_name = _("invitation")

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.email or self.customer_id or self.pk}"


class Draft(models.Model):
    """Answers saved while a respondent moves through the pages, before the response is submitted.

    ``key`` is the invitation's token hash, or for a public link the hash of the browser's signed cookie.
    The answers are kept in the shape ``record_response`` takes ({question id: entry}).
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="drafts")
    key = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=5, choices=LANGUAGE_CHOICES, default="en")
    answers = models.JSONField(default=dict)
    # a random nonce the final page sends back: the same submission sent twice is answered as one
    submission = models.CharField(max_length=64, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("draft response")

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.key[:8]}"


def text_in(texts: dict[str, str] | None, language: str | None, fallback: str | None = None) -> str:
    """The text in ``language``, else in ``fallback``, else the first one given ("" when there is none)."""
    texts = texts or {}
    for lang in (language, fallback):
        if lang and texts.get(lang):
            return texts[lang]
    return next((t for t in texts.values() if t), "")


def _import_file_path(instance: ImportJob, filename: str) -> str:
    import uuid
    from pathlib import PurePath

    return f"survey-imports/{instance.survey_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class ImportJob(models.Model):
    """Responses loaded from a CSV or XLSX file made by another survey tool (see surveys/imports.py).

    The stored file, its column mapping and the number of data rows committed so far let a failed or
    interrupted import continue after its last committed batch without loading any response twice.
    """

    class Status(models.TextChoices):
        NEW = "new", _("Waiting for the column mapping")
        QUEUED = "queued", _("Queued")
        CHECKING = "checking", _("Checking the file")
        CHECKED = "checked", _("Checked: ready to import")
        LOADING = "loading", _("Importing")
        DONE = "done", _("Imported")
        INVALID = "invalid", _("The file has errors")
        FAILED = "failed", _("Interrupted")

    class Mode(models.TextChoices):
        CHECK_FIRST = "check_first", _("Check the whole file first; import nothing when any row has an error")
        BATCHES = "batches", _("Check and import batch by batch; stop at the first batch with an error")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="import_jobs")
    wave = models.ForeignKey(Wave, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(_("file"), upload_to=_import_file_path, max_length=255)
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    columns = models.JSONField(_("columns"), default=list)  # the file's header, in order
    mapping = models.JSONField(_("column mapping"), default=dict)  # {column: target}, see imports.TARGETS
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices, default=Mode.CHECK_FIRST)
    check_only = models.BooleanField(default=False)  # the queued run checks the file and stops
    # the uploader's language: the background run writes the error report in it (no language is active there)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGE_CHOICES, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    rows_total = models.PositiveIntegerField(_("data rows"), null=True, blank=True)
    rows_checked = models.PositiveIntegerField(_("rows checked"), default=0)
    rows_done = models.PositiveIntegerField(_("rows imported"), default=0)  # committed with its batch
    responses_created = models.PositiveIntegerField(_("responses imported"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(default=list)  # [{"row": n, "column": name, "message": text}], the first ones
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # a running import's last sign of life

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["survey", "-created_at"], name="importjob_survey_created_idx")]
        verbose_name = _("response import")

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.file_name}"


class ImportedRespondent(models.Model):
    """The respondent id another survey tool gave an imported response: each is imported once per survey."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+", db_index=False)
    external_id = models.CharField(_("respondent id"), max_length=120)
    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="imported_as")
    job = models.ForeignKey(ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "external_id"], name="unique_imported_respondent"),
        ]
        verbose_name = _("imported respondent")

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.external_id}"

"""The self-assessment questionnaire: its fixed items under the three questions, the bands and the advice.

The items live in code so that every assessment asks the same things and scores stay comparable over time.
Every item is phrased so that a higher answer means a service strategy will contribute more.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

SCALE_MIN = 1
SCALE_MAX = 5
SCALE = tuple(range(SCALE_MIN, SCALE_MAX + 1))
SCALE_LABELS: dict[int, Promise] = {
    1: _("Not at all"),
    2: _("A little"),
    3: _("Partly"),
    4: _("Largely"),
    5: _("Fully"),
}

LOW, MIDDLE, HIGH = "low", "middle", "high"
BAND_LABELS: dict[str, Promise] = {
    LOW: pgettext_lazy("score band", "Low"),
    MIDDLE: pgettext_lazy("score band", "Middle"),
    HIGH: pgettext_lazy("score band", "High"),
}


@dataclass(frozen=True)
class Item:
    key: str
    text: Promise


@dataclass(frozen=True)
class Question:
    key: str
    title: Promise
    hint: Promise
    items: tuple[Item, ...]
    advice: dict[str, Promise]
    # what each band means for us, where the plain Low/Middle/High would mislead (a high competitors score
    # means weak competitors); questions without their own labels use BAND_LABELS
    band_labels: dict[str, Promise] | None = None

    @property
    def minimum(self) -> int:
        return SCALE_MIN * len(self.items)

    @property
    def maximum(self) -> int:
        return SCALE_MAX * len(self.items)

    def band_label(self, band: str) -> Promise:
        return (self.band_labels or BAND_LABELS)[band]

    def band(self, total: int) -> str:
        """Low when the items average 2 or less, high when they average 4 or more, middle in between."""
        return band_of(total, len(self.items))


def band_of(total: int, items: int) -> str:
    if total <= 2 * items:
        return LOW
    if total >= 4 * items:
        return HIGH
    return MIDDLE


QUESTIONS: tuple[Question, ...] = (
    Question(
        key="need",
        title=_("How much of the customer's need does the service carry, compared with the product?"),
        hint=_("The more the need is met by how we serve rather than by what we deliver, the more service matters."),
        items=(
            Item("need_choice", _("Customers pick us for the way we serve them more than for what they take home.")),
            Item(
                "need_support",
                _("Without advice, set-up, support or follow-up, what we sell is of little use to the customer."),
            ),
            Item(
                "need_contact",
                _("Most of the customer's time with us is spent with our people and channels, not with the product."),
            ),
        ),
        advice={
            LOW: _(
                "The product carries most of the need. Keep the service reliable and simple, and put the larger "
                "effort into the product; add services where they remove friction around it."
            ),
            MIDDLE: _(
                "Product and service share the load. Find the moments where service tips the choice (delivery, "
                "set-up, help when something fails) and make those consistently good."
            ),
            HIGH: _(
                "The service is what customers really buy. Treat it as the offer itself: design its cycle, set "
                "standards for every moment of truth and measure them as closely as sales."
            ),
        },
    ),
    Question(
        key="competitors",
        title=_("How good is the competitors' service?"),
        hint=_("Answer from the customer's side: a higher answer means the competitors leave more room to stand out."),
        items=(
            Item("comp_slow", _("Competitors keep customers waiting or make them chase for answers.")),
            Item("comp_costly", _("Getting service from competitors is costly or hard to reach.")),
            Item(
                "comp_switchers",
                _("Customers who come to us from competitors complain about how they were treated."),
            ),
        ),
        advice={
            LOW: _(
                "Competitors already serve well, so service alone will not set you apart. Match their standard "
                "where customers notice it most and look for one area where you can clearly do better."
            ),
            MIDDLE: _(
                "Competitors are uneven. Learn where they fall short (waiting, price of support, follow-up) and "
                "make those your visible strengths."
            ),
            HIGH: _(
                "Competitors' service is weak: the door to stand out is open. Commit to a few promises customers "
                "can check, keep them every time, and tell the market about it."
            ),
        },
        band_labels={
            LOW: _("Strong competitors: little room to stand out"),
            MIDDLE: _("Uneven competitors: some room to stand out"),
            HIGH: _("Weak competitors: wide room to stand out"),
        },
    ),
    Question(
        key="expectations",
        title=_("How high are the customers' expectations, and where do they come from?"),
        hint=_("Each item is one source of expectations; the highest ones show where to manage them."),
        items=(
            Item("exp_other", _("Customers measure us against the best services they use elsewhere.")),
            Item("exp_history", _("Customers who have dealt with us before expect at least as much again.")),
            Item("exp_promises", _("Our advertising, offers and staff promise customers a lot.")),
            Item("exp_word", _("Customers have heard a great deal about us from others before they arrive.")),
        ),
        advice={
            LOW: _(
                "Expectations are modest. That is room to surprise customers, but also a sign they may not expect "
                "much from you: make the good experiences visible so the reputation grows."
            ),
            MIDDLE: _(
                "Expectations are moderate. Keep what you promise in line with what you can deliver every time, and "
                "watch the sources that score highest: they will raise the bar first."
            ),
            HIGH: _(
                "Expectations are high. Check every promise before it is given, meet the standard customers bring "
                "from elsewhere, and repair quickly when you fall short: a broken promise hurts more than none."
            ),
        },
    ),
)

ITEMS: tuple[Item, ...] = tuple(item for question in QUESTIONS for item in question.items)
ITEM_KEYS: tuple[str, ...] = tuple(item.key for item in ITEMS)
ITEM_BY_KEY: dict[str, Item] = {item.key: item for item in ITEMS}
QUESTION_BY_KEY: dict[str, Question] = {question.key: question for question in QUESTIONS}
OVERALL_MIN = SCALE_MIN * len(ITEMS)
OVERALL_MAX = SCALE_MAX * len(ITEMS)


def totals(answers: dict[str, int]) -> dict[str, int]:
    """The total per question and the overall total ("overall") of a complete set of answers."""
    result = {q.key: sum(answers[item.key] for item in q.items) for q in QUESTIONS}
    result["overall"] = sum(result[q.key] for q in QUESTIONS)
    return result

"""The private iCalendar feed of a team's due promises, read by calendar apps without signing in.

The token in the address is the only credential: it is looked up by its SHA-256 (a forged or revoked token
answers 404), and requests are rate-limited per address so tokens cannot be guessed at speed.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from django_ratelimit.decorators import ratelimit

from servicecycle.promises import queries


@require_GET
@ratelimit(key="ip", rate="60/m", method="GET", block=True)
def team_calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    team = queries.team_by_calendar_token(token)
    response = HttpResponse(queries.team_calendar_ics(team), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="promises.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response

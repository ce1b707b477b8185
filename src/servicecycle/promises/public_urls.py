"""Links used without signing in: a promise's status page and a team's private calendar feed (mounted at /p/)."""

from django.urls import path

from servicecycle.promises import feed_views, views

urlpatterns = [
    path("calendar/<str:token>.ics", feed_views.team_calendar_feed, name="team-calendar-feed"),
    path("<str:token>/", views.promise_status, name="promise-status"),
]

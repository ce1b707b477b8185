"""Pages respondents use without signing in (mounted under /s/)."""

from django.urls import path

from servicecycle.surveys import public_views

urlpatterns = [
    path("i/<str:token>/", public_views.invitation, name="survey-invitation"),
    path("<str:key>/", public_views.public, name="survey-public"),
]

"""Pages customers use without signing in: the complaint and suggestion form, and a case's status page."""

from django.urls import path

from servicecycle.cases import public_views

urlpatterns: list = [
    path("status/<str:token>/", public_views.status, name="case-status"),
    path("status/<str:token>/files/<int:pk>/", public_views.status_file, name="case-status-file"),
    path("<slug:slug>/", public_views.intake, name="case-intake"),
]

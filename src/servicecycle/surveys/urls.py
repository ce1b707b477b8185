"""Staff pages of surveys (mounted under /surveys/)."""

from django.urls import path

from servicecycle.surveys import import_views, invitation_views, views

urlpatterns = [
    path("", views.survey_list, name="survey-list"),
    path("new/", views.survey_create, name="survey-create"),
    path("<int:pk>/", views.survey_detail, name="survey-detail"),
    path("<int:pk>/results/", views.survey_results, name="survey-results"),
    path("<int:pk>/responses/<int:response_pk>/", views.survey_response, name="survey-response"),
    path("<int:pk>/edit/", views.survey_edit, name="survey-edit"),
    path("<int:pk>/status/", views.survey_status, name="survey-status"),
    path("<int:pk>/public-link/", views.survey_public_link, name="survey-public-link"),
    path("<int:pk>/questions/new/", views.question_add, name="question-add"),
    path("<int:pk>/questions/reorder/", views.question_reorder, name="question-reorder"),
    path("<int:pk>/questions/<int:question_pk>/edit/", views.question_edit, name="question-edit"),
    path("<int:pk>/questions/<int:question_pk>/remove/", views.question_remove, name="question-remove"),
    path("<int:pk>/questions/<int:question_pk>/move/", views.question_move, name="question-move"),
    path("<int:pk>/questions/<int:question_pk>/attributes/new/", views.attribute_add, name="attribute-add"),
    path(
        "<int:pk>/questions/<int:question_pk>/attributes/<int:attribute_pk>/edit/",
        views.attribute_edit,
        name="attribute-edit",
    ),
    path(
        "<int:pk>/questions/<int:question_pk>/attributes/<int:attribute_pk>/remove/",
        views.attribute_remove,
        name="attribute-remove",
    ),
    path("<int:pk>/waves/new/", views.wave_add, name="wave-add"),
    path("<int:pk>/invitations/new/", views.invitation_add, name="invitation-add"),
    path("<int:pk>/invite/", invitation_views.survey_invite, name="survey-invite"),
    path("<int:pk>/invitations/", invitation_views.survey_invitations, name="survey-invitations"),
    path("<int:pk>/import/", import_views.import_upload, name="survey-import"),
    path("<int:pk>/import/list/", import_views.import_list, name="survey-import-list"),
    path("<int:pk>/import/<int:job_pk>/", import_views.import_job, name="survey-import-job"),
    path("<int:pk>/import/<int:job_pk>/mapping/", import_views.import_mapping, name="survey-import-mapping"),
    path("<int:pk>/import/<int:job_pk>/run/", import_views.import_run, name="survey-import-run"),
    path("<int:pk>/export.<str:fmt>", import_views.survey_export, name="survey-export"),
    path(
        "<int:pk>/invitation-settings/",
        invitation_views.survey_invitation_settings,
        name="survey-invitation-settings",
    ),
]

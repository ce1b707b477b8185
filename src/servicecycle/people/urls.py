from django.urls import path

from servicecycle.people import views

urlpatterns = [
    path("", views.home, name="people-home"),
    path("candidates/", views.candidate_list, name="people-candidates"),
    path("candidates/new/", views.candidate_create, name="people-candidate-create"),
    path("candidates/<int:pk>/", views.candidate_detail, name="people-candidate-detail"),
    path("candidates/<int:pk>/delete/", views.candidate_delete, name="people-candidate-delete"),
    path("training/", views.course_list, name="people-courses"),
    path("training/courses/new/", views.course_create, name="people-course-create"),
    path("training/courses/<int:pk>/edit/", views.course_edit, name="people-course-edit"),
    path("training/courses/<int:pk>/record/", views.course_record, name="people-course-record"),
    path("training/import/", views.training_import, name="people-training-import"),
    path("training/overdue/", views.training_overdue, name="people-training-overdue"),
    path("training/staff/<int:pk>/", views.staff_training, name="people-staff-training"),
    path("scorecards/", views.team_scorecard, name="people-team-scorecard"),
    path("scorecards/<int:pk>/", views.scorecard, name="people-scorecard"),
    path("pulse/", views.pulse_list, name="people-pulse"),
    path("pulse/new/", views.pulse_create, name="people-pulse-create"),
    path("pulse/<int:pk>/", views.pulse_detail, name="people-pulse-detail"),
    path("pulse/<int:pk>/answer/", views.pulse_answer, name="people-pulse-answer"),
    path("pulse/<int:pk>/close/", views.pulse_close, name="people-pulse-close"),
]

"""Staff pages of cases (mounted under /cases/)."""

from django.urls import path

from servicecycle.cases import mail_views, public_views, report_views, views

urlpatterns: list = [
    path("", views.case_inbox, name="case-inbox"),
    path("new/", views.case_create, name="case-create"),
    path("bulk/", views.case_bulk, name="case-bulk"),
    path("views/save/", views.case_view_save, name="case-view-save"),
    path("views/<int:pk>/delete/", views.case_view_delete, name="case-view-delete"),
    path("settings/categories/", views.case_categories, name="case-categories"),
    path("settings/categories/<int:pk>/", views.case_category_edit, name="case-category-edit"),
    path("settings/sla/", views.case_sla, name="case-sla"),
    path("settings/templates/", views.case_templates, name="case-templates"),
    path("settings/templates/new/", views.case_template_add, name="case-template-add"),
    path("settings/templates/<int:pk>/", views.case_template_edit, name="case-template-edit"),
    path("<int:pk>/", views.case_detail, name="case-detail"),
    path("<int:pk>/inline/", views.case_inline, name="case-inline"),
    path("<int:pk>/steps/<str:step>/", views.case_step, name="case-step"),
    path("reports/", report_views.case_reports, name="case-reports"),
    path("reports/export/", report_views.case_reports_export, name="case-reports-export"),
    path("<int:case_pk>/files/<int:pk>/", public_views.staff_file, name="case-file"),
    path("quarantine/", mail_views.quarantine_list, name="case-quarantine"),
    path("quarantine/<int:pk>/raw/", mail_views.quarantine_raw, name="case-quarantine-raw"),
    path("quarantine/<int:pk>/case/", mail_views.quarantine_create_case, name="case-quarantine-create"),
    path("quarantine/<int:pk>/discard/", mail_views.quarantine_discard, name="case-quarantine-discard"),
]

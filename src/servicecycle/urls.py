from django.contrib.auth import views as auth_views
from django.urls import include, path

from servicecycle.accounts import two_step_views
from servicecycle.accounts import views as accounts
from servicecycle.accounts.forms import StaffPasswordResetForm
from servicecycle.analytics import views as analytics
from servicecycle.api import api
from servicecycle.catalog import views as catalog
from servicecycle.core import health
from servicecycle.core import views as core
from servicecycle.core.metrics import metrics_view
from servicecycle.cycles import views as cycles
from servicecycle.strategy import dashboard_views as dashboard
from servicecycle.strategy import views as strategy
from servicecycle.strategy import worksheet_views as strategy_worksheet

auth_patterns = [
    path("login/", core.LoginView.as_view(), name="login"),
    path("login/code/", two_step_views.login_verify, name="login-verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=StaffPasswordResetForm),
        name="password_reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("password-change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password-change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("dashboard.pdf", dashboard.dashboard_pdf, name="dashboard-pdf"),
    path("dashboard.xlsx", dashboard.dashboard_xlsx, name="dashboard-xlsx"),
    path("accounts/", include(auth_patterns)),
    path("language/", accounts.set_language, name="set-language"),
    path("audit/", core.audit_log, name="audit-log"),
    path("notifications/", core.notification_list, name="notifications"),
    path("notifications/read/", core.notifications_read, name="notifications-read"),
    path("organization/", accounts.organization_detail, name="organization"),
    path("organization/edit/", accounts.organization_edit, name="organization-edit"),
    path("organization/hours/", accounts.working_hours_edit, name="working-hours"),
    path("organization/dates/add/", accounts.calendar_date_add, name="calendar-date-add"),
    path("organization/dates/<str:date>/remove/", accounts.calendar_date_remove, name="calendar-date-remove"),
    path("teams/", accounts.team_list, name="team-list"),
    path("teams/new/", accounts.team_create, name="team-create"),
    path("teams/<int:pk>/", accounts.team_detail, name="team-detail"),
    path("teams/<int:pk>/edit/", accounts.team_edit, name="team-edit"),
    path("teams/<int:pk>/delete/", accounts.team_delete, name="team-delete"),
    path("staff/", accounts.staff_list, name="staff-list"),
    path("staff/new/", accounts.staff_create, name="staff-create"),
    path("staff/<int:pk>/edit/", accounts.staff_edit, name="staff-edit"),
    path("customers/", accounts.customer_list, name="customer-list"),
    path("customers/new/", accounts.customer_create, name="customer-create"),
    path("customers/<int:pk>/", accounts.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/edit/", accounts.customer_edit, name="customer-edit"),
    path("customers/<int:pk>/export/", accounts.customer_export, name="customer-export"),
    path("customers/<int:pk>/erase/", accounts.customer_erase, name="customer-erase"),
    path("account/tokens/", accounts.token_list, name="token-list"),
    path("account/two-step/", two_step_views.two_step_settings, name="two-step"),
    path("account/tokens/<int:pk>/revoke/", accounts.token_revoke, name="token-revoke"),
    path("services/", catalog.service_list, name="service-list"),
    path("services/new/", catalog.service_create, name="service-create"),
    path("services/<int:pk>/", catalog.service_detail, name="service-detail"),
    path("services/<int:pk>/edit/", catalog.service_edit, name="service-edit"),
    path("services/<int:pk>/decisions/", catalog.decision_list, name="decision-list"),
    path("services/<int:pk>/quality-report.pdf", analytics.quality_report, name="quality-report"),
    path("services/<int:pk>/decisions/new/", catalog.decision_create, name="decision-create"),
    path("services/<int:pk>/lifecycle/", strategy.lifecycle, name="service-lifecycle"),
    path("services/<int:pk>/lifecycle/demand/", strategy.demand_edit, name="service-lifecycle-edit"),
    path("services/<int:pk>/lifecycle/demand/upload/", strategy.demand_upload, name="service-lifecycle-upload"),
    path("services/<int:pk>/strategy/", strategy_worksheet.strategy_worksheet, name="service-strategy"),
    path(
        "services/<int:pk>/strategy/settings/",
        strategy_worksheet.worksheet_settings,
        name="service-strategy-settings",
    ),
    path("services/<int:pk>/shopping/", strategy_worksheet.shopping_list, name="shopping-list"),
    path("services/<int:pk>/shopping/new/", strategy_worksheet.shopping_create, name="shopping-create"),
    path("services/<int:pk>/shopping/<int:audit_pk>/", strategy_worksheet.shopping_detail, name="shopping-detail"),
    path(
        "services/<int:pk>/shopping/<int:audit_pk>/photos/<int:photo_pk>/",
        strategy_worksheet.shopping_photo,
        name="shopping-photo",
    ),
    path("strategy/self-assessment/", strategy.self_assessment, name="self-assessment"),
    path("strategy/self-assessment/new/", strategy.self_assessment_new, name="self-assessment-new"),
    path("services/<int:service_id>/cycle/", cycles.cycle, name="cycle"),
    path("services/<int:service_id>/cycle/wheel.svg", cycles.wheel_svg, name="wheel-svg"),
    path("services/<int:service_id>/cycle/reorder/", cycles.cycle_reorder, name="cycle-reorder"),
    path("services/<int:service_id>/cycle/moments/new/", cycles.moment_add, name="moment-add"),
    path("services/<int:service_id>/cycle/moments/<int:pk>/", cycles.moment_detail, name="moment-detail"),
    path("services/<int:service_id>/cycle/moments/<int:pk>/edit/", cycles.moment_edit, name="moment-edit"),
    path("services/<int:service_id>/cycle/moments/<int:pk>/remove/", cycles.moment_remove, name="moment-remove"),
    path("services/<int:service_id>/cycle/moments/<int:pk>/move/", cycles.moment_move, name="moment-move"),
    path("services/<int:service_id>/cycle/moments/<int:pk>/evidence/", cycles.moment_evidence, name="moment-evidence"),
    path("moments/critical/", cycles.critical_moments, name="critical-moments"),
    path("moments/options/", cycles.moment_options, name="moment-options"),
    path("cases/", include("servicecycle.cases.urls")),
    path("c/", include("servicecycle.cases.public_urls")),
    path("promises/", include("servicecycle.promises.urls")),
    path("p/", include("servicecycle.promises.public_urls")),
    path("surveys/", include("servicecycle.surveys.urls")),
    path("people/", include("servicecycle.people.urls")),
    path("s/", include("servicecycle.surveys.public_urls")),
    path("api/v1/", api.urls),
    # normally answered earlier by core.health.OperationsEndpointsMiddleware; here so they resolve and reverse
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]

handler404 = "servicecycle.core.views.page_not_found"
handler500 = "servicecycle.core.views.server_error"

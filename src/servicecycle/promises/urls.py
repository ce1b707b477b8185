"""Staff pages of promises (mounted under /promises/)."""

from django.urls import path

from servicecycle.promises import views

urlpatterns = [
    path("", views.promise_list, name="promise-list"),
    path("new/", views.promise_create, name="promise-create"),
    path("new/customers/", views.customer_options, name="promise-customer-options"),
    path("requests/", views.promise_requests, name="promise-requests"),
    path("dashboard/", views.promise_dashboard, name="promise-dashboard"),
    path("staff/<int:pk>/", views.staff_scorecard, name="staff-scorecard"),
    path("teams/<int:pk>/calendar/", views.team_promise_calendar, name="team-promise-calendar"),
    path("teams/<int:pk>/calendar/token/", views.team_calendar_token, name="team-calendar-token"),
    path("<int:pk>/", views.promise_detail, name="promise-detail"),
    path("<int:pk>/live/", views.promise_live, name="promise-live"),
    path("<int:pk>/request/", views.promise_request, name="promise-request"),
    path("<int:pk>/confirm/", views.promise_confirm, name="promise-confirm"),
    path("<int:pk>/decline/", views.promise_decline, name="promise-decline"),
    path("<int:pk>/accept/", views.promise_accept, name="promise-accept"),
    path("<int:pk>/give/", views.promise_give, name="promise-give"),
    path("<int:pk>/kept/", views.promise_kept, name="promise-kept"),
    path("<int:pk>/withdraw/", views.promise_withdraw, name="promise-withdraw"),
    path("<int:pk>/recover/", views.promise_recover, name="promise-recover"),
]

"""The API's routes."""

from django.urls import path

from . import views

urlpatterns = [
    path("health", views.Health.as_view()),
    path("api/tickets/", views.TicketList.as_view()),
    path("api/tickets/<int:pk>/", views.TicketDetail.as_view()),
    path("api/projects/<str:project_id>/tickets/", views.ProjectTickets.as_view()),
    path("api/assets/", views.AssetList.as_view()),
]

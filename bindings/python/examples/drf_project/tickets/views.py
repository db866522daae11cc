"""The API: each view declares the scopes a token needs, for every method or per method."""

from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

TICKETS = [{"id": 1, "title": "Printer on fire"}, {"id": 2, "title": "VPN down"}]


class TicketList(APIView):
    required_scopes = {"GET": ["tickets:read"], "POST": ["tickets:write"]}

    def get(self, request):
        # request.user: a TokenPrincipal (the token's subject); request.auth: the Verdict.
        return Response({"subject": request.user.username, "data": TICKETS})

    def post(self, request):
        ticket = {"id": len(TICKETS) + 1, "title": request.data.get("title", ""),
                  "created_by": request.user.username}
        TICKETS.append(ticket)
        return Response({"data": ticket}, status=status.HTTP_201_CREATED)


class TicketDetail(APIView):
    required_scopes = ["tickets:read"]  # every method

    def get(self, request, pk):
        found = [t for t in TICKETS if t["id"] == pk]
        if not found:
            return Response({"errors": ["Not Found"]}, status=status.HTTP_404_NOT_FOUND)
        return Response({"data": found[0]})


class ProjectTickets(APIView):
    required_scopes = {"GET": ["tickets:read"]}
    # The entity a request touches, from the URL's kwargs: a token holding
    # tickets:read@project/42 passes for project 42 only.
    required_resource = "project/{project_id}"

    def get(self, request, project_id):
        return Response({"project": project_id, "subject": request.user.username, "data": []})


class AssetList(APIView):
    required_scopes = {"GET": ["assets:read"]}

    def get(self, request):
        return Response({"data": [{"id": "laptop-7"}], "token": request.auth.token_id})


class Health(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})

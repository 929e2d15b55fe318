from django.urls import path, re_path

from . import pages
from .api import api, docs_page
from .errors import json_404

urlpatterns = [
    path("api/v1/docs", docs_page, name="api_docs"),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", json_404),
    path("settings/api-tokens/", pages.tokens, name="api_tokens"),
    path("settings/api-tokens/<int:token_id>/revoke/", pages.revoke, name="api_token_revoke"),
]

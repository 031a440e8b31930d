"""The console's Reviews tab."""

from __future__ import annotations

from django.urls import path

from portal import converters  # noqa: F401 - registers <entity_id:>
from reviews.views import console

app_name = "reviews"
urlpatterns = [
    path("", console.review_list, name="list"),
    path("new/", console.review_start, name="start"),
    path("new/group/<entity_id:name>/", console.review_start_group, name="start_group"),
    path("new/product/<entity_id:name>/", console.review_start_product, name="start_product"),
    path("<int:pk>/", console.review_detail, name="detail"),
    path("<int:pk>/decide/", console.review_decide, name="decide"),
    path("<int:pk>/close/", console.review_close, name="close"),
    path("<int:pk>/export.csv", console.review_export, name="export"),
]

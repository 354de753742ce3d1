"""The bank's URLs plus a view marked as background, for test_lifetime.py."""

from django.http import HttpResponse
from django.urls import path

from bankdemo.urls import urlpatterns as bank_urlpatterns
from sessions_core.decorators import background


@background
def poll(request):
    return HttpResponse("nothing new")


urlpatterns = [path("poll/", poll), *bank_urlpatterns]

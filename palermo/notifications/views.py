"""The notifications page: a user's own messages, newest first, marked read one by one or all."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services


@login_required
@require_http_methods(["GET", "HEAD"])
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = selectors.notification_page(
        user=request.user, unread_only=unread_only, page_number=request.GET.get("page", 1)
    )
    return render(
        request,
        "notifications/notification_list.html",
        {"page": page, "unread_only": unread_only},
    )


@login_required
@require_POST
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark read and go to what it is about (a link inside the app only)."""
    from .models import Notification

    row = Notification.objects.filter(pk=notification_id, recipient_id=request.user.pk).first()
    if row is None:
        raise Http404
    services.mark_read(user=request.user, notification_id=row.pk)
    if url_has_allowed_host_and_scheme(row.url, allowed_hosts=None) and row.url.startswith("/"):
        return HttpResponseRedirect(row.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(user=request.user)
    return redirect("notifications:list")

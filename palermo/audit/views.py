from django.http import Http404, HttpRequest, HttpResponse


def audit_list(request: HttpRequest) -> HttpResponse:
    raise Http404  # replaced by the audit page

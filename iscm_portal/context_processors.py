from django.utils.functional import SimpleLazyObject

from submissions.roles import roles_for_request


def portal(request):
    """What the base layout needs on every page: the person's roles for the navigation
    (evaluated only when a template reads them)."""
    return {"portal_roles": SimpleLazyObject(lambda: roles_for_request(request))}

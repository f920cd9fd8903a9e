"""The API object: ``/api/v1``, its routers, its error shape, OpenAPI 3.1 and the docs page.

The docs page (``/api/v1/docs``) is Swagger UI from the files django-ninja ships, served by the
site itself: nothing is fetched from a CDN.
"""

from ninja import NinjaAPI

# Importing the endpoint modules adds their endpoints to the routers.
from yanpiao.api import (  # noqa: F401
    accounts,
    alerts,
    batches,
    callers,
    certificates,
    errors,
    health,
    history,
    invoices,
    routers,
    suggestions,
    surveys,
    tickets,
    verifications,
)
from yanpiao.api.renderers import OrjsonRenderer

api = NinjaAPI(
    title="Yanpiao 验票 API",
    version="1",
    description=(
        "Verify Chinese invoices (发票查验) by typed fields, QR payload or document; read the "
        "history; fetch and check signed certificates; register invoices (issuers). "
        'Errors: `{"error": {"code", "message", "fields"}}`. See docs/api.md.'
    ),
    urls_namespace="api",
    renderer=OrjsonRenderer(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)
for prefix, router in routers.MOUNTS.items():
    api.add_router(prefix, router)


def _declare_anonymous_callers() -> None:
    """In the schema, an endpoint open to anonymous callers (``callers.anyone``) takes a token
    but does not require one: its security requirements end with the empty one."""
    for router in routers.MOUNTS.values():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                if callers.anyone in (operation.auth_callbacks or ()):
                    operation.openapi_extra = {**(operation.openapi_extra or {}), "security": [{}]}


_declare_anonymous_callers()

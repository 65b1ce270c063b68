"""The FastAPI app: chat API, live stream, admin API, demo page, dashboard and widget assets.

`create_app(container)` wires everything over a bootstrap `Container`
(`purser.app.build`). Runtime and gateway calls are synchronous and run in the
thread pool; the event loop only streams.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from purser import __version__
from purser.web import errors
from purser.web.limits import BodyLimit, IpRateLimit, Rate, TokenBuckets
from purser.web.security import USER_HASH_HEADER, AdminAuth, Identity, SecurityHeaders

if TYPE_CHECKING:
    from purser.app import Container

log = logging.getLogger("purser.web")
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class WebOptions:
    """Limits and switches of the web layer (defaults suit one public server)."""

    max_body_bytes: int = 64 * 1024
    max_email_bytes: int = 2 * 1024 * 1024
    """Inbound email (`/channels/email/`) carries whole MIME messages with attachments."""
    ip_rate: Rate = field(default_factory=lambda: Rate(burst=120, per_second=20))
    conversation_rate: Rate = field(default_factory=lambda: Rate(burst=20, per_second=1))
    create_rate: Rate = field(default_factory=lambda: Rate(burst=20, per_second=0.5))
    cors_origins: tuple[str, ...] = ("*",)
    writes_enabled: bool = True
    """False with `serve --strict` while the knowledge-base lint fails: write actions stay off."""
    admin_token: str | None = None
    """Overrides `settings.admin_token` (e.g. a token generated at start-up)."""
    max_streams_per_conversation: int = 5
    """Open live streams one conversation may hold (tabs of the same visitor); 429 beyond."""
    stream_poll_seconds: float = 1.0
    """How often an open stream looks for events written by other processes."""
    kb_lint: list[str] = field(default_factory=list)
    """Problems the knowledge-base lint reported at start-up (shown with the policy)."""


@dataclass
class WebState:
    """What the routes share, on `app.state.purser`."""

    container: Container
    options: WebOptions
    identity: Identity
    admin: AdminAuth
    conversation_buckets: TokenBuckets
    create_buckets: TokenBuckets
    latencies: Any = None  # purser.web.metrics.LatencyLog, set in create_app
    open_streams: dict[str, int] = field(default_factory=dict)


def state_of(request: Request) -> WebState:
    """The web state of the app serving `request`."""
    state = request.app.state.purser
    assert isinstance(state, WebState)
    return state


class _PublicCors:
    """CORS for the customer API and the widget (any host site may embed it); never for the admin API."""

    def __init__(self, app: ASGIApp, origins: tuple[str, ...]) -> None:
        self.plain = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type", USER_HASH_HEADER, "Last-Event-ID"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        public = path.startswith(("/api/conversations", "/api/widget/", "/static/")) or path == "/widget.js"
        await (self.cors if public else self.plain)(scope, receive, send)


def create_app(container: Container, options: WebOptions | None = None) -> FastAPI:
    """The web app over a bootstrap container."""
    from purser.web import admin, channels, chat, demo, inbox, invoices, pay, people, webhooks
    from purser.web import widget as widget_api
    from purser.web.metrics import LatencyLog

    opts = options or WebOptions()
    settings = container.settings
    app = FastAPI(
        title="Purser",
        version=__version__,
        description=(
            "Chat API for the Purser billing-support agent (DESIGN §7/§8), live agent events over "
            "Server-Sent Events, and the admin API (Bearer PURSER_ADMIN_TOKEN)."
        ),
        docs_url=None,  # our own reader at /api/docs: FastAPI's pulls Swagger UI from a CDN
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    state = WebState(
        container=container,
        options=opts,
        identity=Identity(settings.identity_secret),
        admin=AdminAuth(opts.admin_token or settings.admin_token),
        conversation_buckets=TokenBuckets(opts.conversation_rate),
        create_buckets=TokenBuckets(opts.create_rate),
    )
    state.latencies = LatencyLog(container.db)
    app.state.purser = state
    errors.install(app)
    # The chat API's routes go on the app itself, not behind `include_router`: FastAPI matches an
    # included router's routes twice per request (to pick the router, then inside it), and these
    # carry every turn. The router adds no prefix, tags or dependencies of its own at inclusion, so
    # the routes, their order and the OpenAPI document are the same.
    app.router.routes.extend(chat.router.routes)
    app.include_router(admin.router)
    app.include_router(inbox.router)
    app.include_router(people.router)
    app.include_router(demo.router)
    app.include_router(webhooks.router)
    app.include_router(pay.router)
    app.include_router(channels.router)
    app.include_router(invoices.router)
    app.include_router(widget_api.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> Response:
        return FileResponse(STATIC / "widget.js", media_type="text/javascript")

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return FileResponse(STATIC / "demo.html", media_type="text/html")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> Response:
        return FileResponse(STATIC / "apidocs.html", media_type="text/html")

    @app.get("/admin", include_in_schema=False)
    def admin_page() -> Response:
        return FileResponse(STATIC / "admin.html", media_type="text/html")

    @app.get("/admin/", include_in_schema=False)
    def admin_slash() -> Response:
        return RedirectResponse("/admin")

    @app.get("/api/health", tags=["meta"], summary="Liveness and identity mode")
    def health() -> dict[str, Any]:
        """Liveness, the identity mode and whether write actions are on."""
        return {
            "ok": True,
            "version": __version__,
            "identity_verification": state.identity.enabled,
            "writes_enabled": opts.writes_enabled,
            "processor": getattr(container.processor, "name", "unknown"),
        }

    app.add_middleware(IpRateLimit, buckets=TokenBuckets(opts.ip_rate))
    app.add_middleware(BodyLimit, max_bytes=opts.max_body_bytes, by_prefix={"/channels/email/": opts.max_email_bytes})
    app.add_middleware(_PublicCors, origins=opts.cors_origins)
    app.add_middleware(SecurityHeaders)
    return app


__all__ = ["WebOptions", "WebState", "create_app", "state_of"]

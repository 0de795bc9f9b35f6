"""The Starlette application: routes, static mounts and the lifespan that runs the market."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from server import api, bundle, metrics, mpy, pages, startup_snapshot, ws
from server.engines import BY_KEY, engine_bundles, engine_config, snapshot_bundle
from server.headers import SecurityHeaders, content_security_policy
from server.limits import host_names, own_origins
from server.services import Services
from server.settings import Settings
from server.sources import Source
from server.vendor import (
    MICROPYTHON,
    PACKAGES,
    PYODIDE,
    PYSCRIPT,
    ImmutableFiles,
    check_installed,
    pyscript_chunks,
)


def create_app(
    settings: Settings | None = None,
    on_ready: Callable[[], None] | None = None,
    source: Source | None = None,
) -> Starlette:
    """The app; `on_ready` runs once the market is ticking and requests are served. `source`
    is the market's, already checked (default: built from the settings)."""
    settings = settings or Settings()
    check_installed(settings.node_modules)
    services = Services.build(settings, source)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with services.running():
            if on_ready:
                on_ready()
            yield

    mpy.check_version(MICROPYTHON.version(settings.node_modules))
    bundles = engine_bundles(settings.client_dir, settings.micropython_shims_dir)
    vendor_urls = {package.mount: package.url(settings.node_modules) for package in PACKAGES}
    vendor_mounts = [
        Mount(
            vendor_urls[package.mount],
            ImmutableFiles(directory=package.directory(settings.node_modules)),
        )
        for package in PACKAGES
    ]
    app = Starlette(
        routes=[
            Route("/", pages.dashboard),
            Route("/compare", pages.compare),
            WebSocketRoute("/ws", ws.stream),
            Route("/healthz", metrics.healthz),
            Route("/api/candles", api.candles),
            Route("/api/trades", api.trades),
            Route("/metrics", metrics.prometheus),
            *[
                Route(BY_KEY[engine].config_url, bundle.config_endpoint(engine))
                for engine in bundles
            ],
            Route("/client-{digest}.zip", bundle.archive),
            Route("/client-{digest}/{name:path}", bundle.source),
            Route("/pyodide-snapshot-{key}" + startup_snapshot.SUFFIX, startup_snapshot.serve),
            Mount("/public", StaticFiles(directory=settings.public_dir)),
            Mount("/client", StaticFiles(directory=settings.client_dir)),
            *vendor_mounts,
        ],
        middleware=[
            # A Host header naming no host of ours is a DNS-rebinding attempt: refused (400).
            Middleware(TrustedHostMiddleware, allowed_hosts=host_names(settings.allowed_origins)),
            Middleware(SecurityHeaders, own_origins=own_origins(settings.host, settings.port)),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.vendor_urls = vendor_urls
    app.state.pyscript_chunks = [
        f"{vendor_urls[PYSCRIPT.mount]}/{name}" for name in pyscript_chunks(settings.node_modules)
    ]
    app.state.bundles = bundles
    origins = own_origins(settings.host, settings.port)
    app.state.pyscript_policies = {
        key: content_security_policy(origins, allow_eval=True, worker=BY_KEY[key].worker)
        for key in bundles
    }
    app.state.startup_snapshot = snapshot = (
        startup_snapshot.load_or_make(
            settings.snapshot_dir,
            PYODIDE.directory(settings.node_modules),
            snapshot_bundle(bundles),
        )
        if settings.startup_snapshot
        else None
    )
    app.state.pyscript_configs = {
        key: engine_config(BY_KEY[key], bundles[key], vendor_urls, snapshot) for key in bundles
    }
    # ?snapshot=off: the runtime boots the normal way (the benchmark's comparison).
    app.state.booting_configs = {
        key: engine_config(BY_KEY[key], bundles[key], vendor_urls) for key in bundles
    }
    app.state.registry = metrics.registry_for(services)
    return app

"""`mildwatch web`: serve the evidence map, unsubscribe and preference pages, or write the
map as static files."""

from __future__ import annotations

import socket
from pathlib import Path

import click

from watcher.cli.app import App, pass_app
from watcher.errors import ConfigError


def _check_free(host: str, port: int) -> None:
    """Fail with one line, before uvicorn would, when the address cannot be listened on."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {error.strerror or error}; choose another "
            "--port (or [web] port), or stop what is using it"
        ) from None


@click.command()
@click.option("--host", help="Address to listen on (default: [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: [web] port, 8080).")
@click.option(
    "--static",
    "static_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="OUTDIR",
    help="Write the evidence map and study pages as static HTML into OUTDIR, and exit.",
)
@pass_app
def web(app: App, host: str | None, port: int | None, static_dir: Path | None) -> None:
    """Serve the evidence map, one-click unsubscribe and each subscriber's preferences.

    \b
    /                      the evidence map: filter and sort every study
    /articles/PMID         one study with all its tags, snippets and history
    /subscriber/TOKEN      a subscriber's own preferences (the link in their digests)
    /unsubscribe/TOKEN     one-click unsubscribe (RFC 8058)
    /healthz               JSON for monitoring; 503 when polling has stopped

    Run it behind a reverse proxy that adds HTTPS, and set [web] base_url to the public
    address so digests link to it (README: "The web pages").
    """
    from digests.web import WebApp, export_site, serve  # Starlette and uvicorn: only here

    config = app.config
    webapp = WebApp(config)
    if static_dir is not None:
        report = export_site(webapp, static_dir)
        click.echo(
            f"Wrote {report.pages} pages ({report.studies} studies, {report.uncertain} "
            f"uncertain) to {report.folder}; open {report.folder / 'index.html'}"
        )
        return
    host = host or config.web.host
    port = port or config.web.port
    _check_free(host, port)
    webapp.warm()
    click.echo(f"mildwatch web on http://{host}:{port}/  (Ctrl-C to stop)", err=True)
    if not config.web.base_url:
        click.echo("Note: [web] base_url is not set, so digests do not link here yet.", err=True)
    serve(webapp.starlette(), host, port)


COMMANDS = (web,)

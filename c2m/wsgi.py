"""WSGI entry point for another server: `gunicorn 'c2m.wsgi:app'` (settings from C2M_*
variables). `c2m serve` runs gunicorn itself, configured by c2m.web_server; outside the
embedded default this app, like `c2m serve`, refuses to start without the shared secrets."""

from c2m.app import create_app
from c2m.logging_setup import configure_logging
from c2m.settings import load_settings, require_shared_secrets

_settings = load_settings()
require_shared_secrets(_settings)
configure_logging(_settings.log_level)
app = create_app(_settings)

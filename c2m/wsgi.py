"""WSGI entry point for gunicorn: `gunicorn 'c2m.wsgi:app'` (settings from C2M_* variables)."""

from c2m.app import create_app
from c2m.logging_setup import configure_logging
from c2m.settings import load_settings

_settings = load_settings()
configure_logging(_settings.log_level)
app = create_app(_settings)

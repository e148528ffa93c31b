"""The WSGI entry point for production servers (gunicorn, uWSGI, mod_wsgi …).

Production settings unless DJANGO_SETTINGS_MODULE says otherwise: a server started without
it must not quietly run the development settings (their well-known secret key, DEBUG from
the environment, keys in var/); the production settings refuse to start without a secret
key instead. `palermo serve` sets the module itself (see palermo/cli.py).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Web processes bound their database statements (settings: DATABASE_STATEMENT_TIMEOUT).
os.environ.setdefault("SERVES_WEB_REQUESTS", "1")
application = get_asgi_application()

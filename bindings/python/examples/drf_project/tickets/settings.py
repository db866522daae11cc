"""Settings of the example project: tokenauth guards every API view.

Environment: TOKENAUTH_STORE (the token database, default tokens.db beside manage.py),
DJANGO_SECRET_KEY, DJANGO_DB (Django's own database, default db.sqlite3).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-example-key-change-me")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "tokenauth.contrib.drf.UsageMiddleware",  # records the status answered to each token
]
ROOT_URLCONF = "tickets.urls"
WSGI_APPLICATION = "tickets.wsgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DB", str(BASE_DIR / "db.sqlite3")),
    }
}
USE_TZ = True

TOKENAUTH = {
    "STORE": os.environ.get("TOKENAUTH_STORE", str(BASE_DIR / "tokens.db")),
    "REALM": "tickets",
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tokenauth.contrib.drf.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["tokenauth.contrib.drf.HasScopes"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}

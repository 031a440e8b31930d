"""portal.settings: configuration from the environment, and what it makes the site do."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from portal.settings import database_config, env_bool, env_list, mailers_config

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "s" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz",
    "DJANGO_ALLOWED_HOSTS": "portico.example.com",
    "DJANGO_EMAIL_URL": "smtp+tls://portico:secret@mail.example.com:587",
}


def run_django(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.django_db
def test_database_connection_holds_under_several_workers():
    """SQLite runs in WAL mode with IMMEDIATE transactions; PostgreSQL keeps connections."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert connection.settings_dict["OPTIONS"]["timeout"] >= 5
    else:
        assert connection.vendor == "postgresql"
        # The tests themselves run with CONN_MAX_AGE=0 (see tests/conftest.py);
        # what the settings give a server is what matters here.
        configured = database_config(os.environ["DATABASE_URL"])
        assert configured["CONN_MAX_AGE"] > 0
        assert configured["CONN_HEALTH_CHECKS"] is True


def test_database_config_for_sqlite_sets_wal_and_immediate(tmp_path):
    config = database_config(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert config["TEST"]["NAME"].endswith("test_db.sqlite3")


def test_database_config_for_postgresql_keeps_connections():
    config = database_config("postgres://portico:pw@db.example.com:5432/portico")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "portico"
    assert config["CONN_MAX_AGE"] == 600


def test_database_config_refuses_a_malformed_url():
    with pytest.raises(ImproperlyConfigured):
        database_config("not a url at all")


@pytest.mark.parametrize("raw", ["yes", "1", "True", "on"])
def test_env_bool_refuses_anything_but_true_or_false(monkeypatch, raw):
    monkeypatch.setenv("PORTICO_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="PORTICO_TEST_FLAG"):
        env_bool("PORTICO_TEST_FLAG", default=False)


def test_env_list_refuses_empty_items(monkeypatch):
    monkeypatch.setenv("PORTICO_TEST_LIST", "a.example.com,,b.example.com")
    with pytest.raises(ImproperlyConfigured):
        env_list("PORTICO_TEST_LIST", default=[])


def test_mailers_default_to_the_console():
    assert mailers_config("console://")["default"]["BACKEND"].endswith("console.EmailBackend")


def test_mailers_from_an_smtp_url():
    config = mailers_config("smtp+tls://user%40example.com:p%3Ass@mail.example.com:2525")
    assert config["default"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert config["default"]["OPTIONS"] == {
        "host": "mail.example.com",
        "port": 2525,
        "use_tls": True,
        "use_ssl": False,
        "timeout": 10,
        "username": "user@example.com",
        "password": "p:ss",
    }


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtp://h:notaport"])
def test_mailers_refuse_malformed_urls(url):
    with pytest.raises(ImproperlyConfigured):
        mailers_config(url)


def test_debug_is_off_by_default():
    assert settings.DEBUG is False


def test_development_secret_key_is_kept_under_var():
    assert (settings.VAR_DIR / "secret_key").read_text().strip() == settings.SECRET_KEY


def test_production_refuses_to_start_without_its_variables():
    result = run_django(["check"], {"DJANGO_ENV": "production"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_malformed_debug_value_fails_at_start():
    result = run_django(["check"], {"DJANGO_DEBUG": "yes"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be 'true' or 'false'" in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = PRODUCTION_ENV | {"DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}"}
    result = run_django(["check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_access_log_redacts_set_password_links():
    from portal.gunicorn_logging import redact

    assert redact("/password/set/MQ/cx3-abc123/") == "/password/set/…/…/"
    assert redact("/products/starter/") == "/products/starter/"


def test_mailers_refuse_a_malformed_timeout():
    with pytest.raises(ImproperlyConfigured, match="timeout"):
        mailers_config("smtp://mail.example.com?timeout=soon")


@pytest.mark.django_db
def test_pages_load_nothing_from_another_host(client, administrator):
    client.force_login(administrator)
    for url in ["/", "/products/", "/console/", "/profile/"]:
        response = client.get(url)
        body = response.content.decode()
        assert "https://" not in body and "http://" not in body, url
        assert "default-src 'self'" in response["Content-Security-Policy"]


# The two listeners and gunicorn


def test_the_gateway_listener_is_chosen_by_the_environment():
    shown = run_django(
        [
            "shell",
            "-v0",
            "-c",
            "from django.conf import settings as s; print(s.ROOT_URLCONF, len(s.MIDDLEWARE))",
        ],
        {"PORTICO_LISTENER": "gateway"},
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == ["portal.gateway_urls", "4"]


def test_the_gateway_listener_passes_the_system_checks():
    checked = run_django(["check"], {"PORTICO_LISTENER": "gateway"})
    assert checked.returncode == 0, checked.stderr
    deploy = run_django(
        ["check", "--deploy", "--fail-level", "WARNING"],
        PRODUCTION_ENV
        | {"PORTICO_LISTENER": "gateway", "DATABASE_URL": "postgres://u:p@db.example.com/p"},
    )
    assert deploy.returncode == 0, deploy.stderr


def test_an_unknown_listener_stops_the_process():
    shown = run_django(["check"], {"PORTICO_LISTENER": "everything"})
    assert shown.returncode != 0
    assert "PORTICO_LISTENER must be 'portal' or 'gateway'" in shown.stderr


def gunicorn_settings(env: dict[str, str]) -> dict[str, object]:
    """What gunicorn reads from gunicorn.conf.py under this environment."""
    code = (
        "from gunicorn.config import Config\n"
        "from gunicorn.app.base import Application\n"
        "class App(Application):\n"
        "    def init(self, *args): return None\n"
        "    def load(self): return None\n"
        "app = App.__new__(App); app.usage = None; app.cfg = Config(); app.callable = None\n"
        "app.load_config_from_file('gunicorn.conf.py')\n"
        "c = app.cfg\n"
        "print(repr({'bind': c.bind, 'workers': c.workers,"
        " 'control_socket_disable': c.control_socket_disable,"
        " 'control_socket': c.control_socket}))\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PORTICO_")}
    shown = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return ast.literal_eval(shown.stdout)


def test_gunicorn_serves_the_portal_on_8000_and_the_check_on_8001():
    assert gunicorn_settings({})["bind"] == ["127.0.0.1:8000"]
    gateway = gunicorn_settings({"PORTICO_LISTENER": "gateway"})
    assert gateway["bind"] == ["127.0.0.1:8001"]
    assert gateway["workers"] == 2


def test_gunicorn_shares_no_control_socket_between_instances():
    # gunicorn's default is one socket per OS user, in $HOME or
    # $XDG_RUNTIME_DIR, which two instances would both claim.
    assert gunicorn_settings({})["control_socket_disable"] is True
    own = gunicorn_settings({"PORTICO_CONTROL_SOCKET": "instance-a.ctl"})
    assert own["control_socket_disable"] is False
    assert own["control_socket"] == "instance-a.ctl"


def test_the_procfile_runs_the_portal_below_the_key_check():
    """`make run` starts both listeners and a worker from the Procfile; all but the key check
    yield the CPU."""
    processes = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert set(processes) == {"web", "gateway", "worker"}
    assert processes.pop("worker") == "nice -n 19 .venv/bin/python manage.py portico_worker"
    assert processes["web"].startswith("nice -n 19 ")
    assert "PORTICO_LISTENER" not in processes["web"]
    assert "PORTICO_LISTENER=gateway" in processes["gateway"]
    assert "nice" not in processes["gateway"]
    for command in processes.values():
        assert "--config gunicorn.conf.py" in command

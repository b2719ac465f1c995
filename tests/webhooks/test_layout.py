"""How the webhook code reads: every public function says what it does in a docstring,
shared helpers live in shared modules, and the development setting is announced where
the app is set up."""

import importlib
import inspect
import logging
import pkgutil

import pytest

import inquick.webhooks
from inquick import create_app
from inquick.resources import api_keys, base, webhook_deliveries, webhook_endpoints

MODULES = [
    *(f"inquick.webhooks.{m.name}" for m in pkgutil.iter_modules(inquick.webhooks.__path__)),
    "inquick.models.webhooks",
    "inquick.resources.webhook_endpoints",
    "inquick.resources.webhook_deliveries",
]


def public_definitions(module):
    """(qualified name, object) of each public function, class and method `module` defines."""
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value):
            yield name, value
        elif inspect.isclass(value):
            yield name, value
            for attribute, member in vars(value).items():
                if attribute.startswith("_") or attribute == "Meta":
                    continue
                if isinstance(member, classmethod | staticmethod):
                    member = member.__func__
                elif isinstance(member, property):
                    member = member.fget
                if inspect.isfunction(member):
                    yield f"{name}.{attribute}", member


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_function_has_a_docstring(module_name):
    module = importlib.import_module(module_name)
    missing = [name for name, value in public_definitions(module) if not value.__doc__]
    assert missing == []


def test_resources_share_moment_through_the_resources_base():
    assert webhook_endpoints.moment is webhook_deliveries.moment is base.moment
    assert api_keys.moment is base.moment


@pytest.fixture
def webhook_log():
    """What the `inquick.webhooks` logger writes (the app's loggers do not propagate)."""
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger("inquick.webhooks")
    keeper = Keep(level=logging.WARNING)
    logger.addHandler(keeper)
    yield records
    logger.removeHandler(keeper)


@pytest.mark.parametrize("allowed", [True, False])
def test_the_development_setting_is_announced_as_the_app_is_set_up(webhook_log, allowed):
    settings = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "TOKEN_SECRET": "s" * 64}
    create_app({**settings, "WEBHOOKS_ALLOW_LOOPBACK": allowed})
    announced = [r.getMessage() for r in webhook_log if "ALLOW_LOOPBACK is on" in r.getMessage()]
    assert len(announced) == (1 if allowed else 0)
    assert not hasattr(webhook_endpoints, "announce_loopback")

"""The API reference: spec/openapi.yaml served as written, as JSON, and rendered by Swagger UI.

Swagger UI's files come from the flask-swagger-ui package and are served from this
process, so the reference works without the network.
"""

import json
from functools import cache
from pathlib import Path

import flask_swagger_ui
import yaml
from flask import Blueprint, Response, redirect, render_template, url_for

SPEC = Path(__file__).resolve().parent.parent / "spec" / "openapi.yaml"
SWAGGER_UI = Path(flask_swagger_ui.__file__).resolve().parent / "dist"

blueprint = Blueprint("docs", __name__, static_folder=SWAGGER_UI, static_url_path="/docs/assets")


def init_app(app):
    app.register_blueprint(blueprint)


@cache
def spec_texts():
    """The spec as written (YAML) and as JSON, read once per process."""
    written = SPEC.read_text(encoding="utf-8")
    return written, json.dumps(yaml.safe_load(written), ensure_ascii=False)


@blueprint.get("/")
def home():
    """A browser opening the server lands on the reference."""
    return redirect(url_for("docs.reference"))


@blueprint.get("/docs")
def reference():
    """The searchable reference, rendered in the browser from /openapi.json."""
    return render_template("docs.html")


@blueprint.get("/openapi.json")
def openapi_json():
    """The spec as JSON, for tools that do not read YAML."""
    return Response(spec_texts()[1], mimetype="application/json")


@blueprint.get("/openapi.yaml")
def openapi_yaml():
    """The spec exactly as the repository holds it."""
    return Response(spec_texts()[0], mimetype="application/yaml")

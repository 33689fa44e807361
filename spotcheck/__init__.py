"""spotcheck: unannounced on-site information-security audits for city halls."""
import os
from datetime import timedelta
from pathlib import Path

from flask import Flask

from . import assets, auth, cli, config, db, deployment, i18n, loaded_forms, security
from .fonts import register_fonts
from .views import register_blueprints

FORMS_DIR = Path(__file__).resolve().parent.parent / "forms"


def create_app(test_config=None):
    """Build the app around an instance folder (env SPOTCHECK_INSTANCE, default ./instance)."""
    instance_path = os.path.abspath(os.environ.get("SPOTCHECK_INSTANCE", "instance"))
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)  # personal data: the app's account only
    app.config.from_mapping(config.defaults())
    app.config["DATABASE"] = os.path.join(app.instance_path, "spotcheck.sqlite")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.instance_secret(Path(app.instance_path))
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"])
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(0)
    deployment.init_app(app)
    assets.init_app(app)

    app.config["FORMS_DIR"] = app.config["FORMS_DIR"] or str(FORMS_DIR)
    loaded_forms.init_app(app)

    fonts = register_fonts(app.config["PDF_FONT_GOTHIC"], app.config["PDF_FONT_MINCHO"])
    if fonts.warning:
        app.logger.warning(fonts.warning)  # said at start-up, so nobody prints empty boxes unawares
    app.extensions["fonts"] = fonts
    db.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    cli.init_app(app)
    register_blueprints(app)
    return app

"""WSGI entry point: `flask --app app …`, or waitress via `flask --app app serve`."""
from spotcheck import create_app

app = create_app()

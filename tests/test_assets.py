"""Static URLs name their content: the current version may be kept for a year, any other revalidates."""
import re

from flask import url_for


def test_static_urls_carry_the_digest_of_the_file_and_change_with_it(app, tmp_path):
    with app.test_request_context():
        url = url_for("static", filename="visit.js")
    assert re.fullmatch(r"/static/visit\.js\?v=[0-9a-f]{12}", url)
    with app.test_request_context():
        assert url_for("static", filename="app.css") != url.replace("visit.js", "app.css")  # each file its own digest


def test_the_current_version_is_cached_for_a_year_and_a_stale_one_is_not(app, client):
    with app.test_request_context():
        url = url_for("static", filename="visit.js")
    with client.get(url) as current:
        assert current.status_code == 200
        assert current.cache_control.max_age == 365 * 24 * 3600
    with client.get("/static/visit.js?v=000000000000") as stale:
        assert stale.status_code == 200
        assert stale.cache_control.max_age != 365 * 24 * 3600
    with client.get("/static/visit.js") as unversioned:
        assert unversioned.cache_control.max_age != 365 * 24 * 3600


def test_a_page_links_its_scripts_by_version(app, client):
    page = client.get("/login").get_data(as_text=True)
    assert re.search(r'href="/static/app\.css\?v=[0-9a-f]{12}"', page)

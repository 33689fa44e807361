"""The council report and its 公表版: both from one command or the dashboard, with the lead's own texts."""
import pytest

from spotcheck import campaigns, council
from tests.factories import fill_all, sign_both
from tests.system import poppler

pytestmark = pytest.mark.usefixtures("city")


def text_of(path):
    return "".join(poppler("pdftotext", "-layout", str(path), "-").decode().split())


def test_report_texts_are_versioned_and_printed(runner, db, city, issued, make_user, tmp_path):
    lead = make_user("admin", "lead")
    assert campaigns.save_report_texts(db, city["id"], lead, {"summary": "全体として改善が進んだ。",
                                                              "next_steps": "来年度は全所属を訪問する。"}) == ["summary", "next_steps"]
    assert campaigns.save_report_texts(db, city["id"], lead, {"summary": "全体として改善が進んだ。",
                                                              "next_steps": "来年度は全所属を実地で確認する。"}) == ["next_steps"]
    assert db.execute("SELECT count(*) FROM report_texts").fetchone()[0] == 3  # every version kept
    result = runner.invoke(args=["council-report", "R6", "-o", str(tmp_path / "council.pdf")])
    assert result.exit_code == 0, result.output
    text = text_of(tmp_path / "council.pdf")
    assert "全体として改善が進んだ。" in text and "来年度は全所属を実地で確認する。" in text
    assert "来年度は全所属を訪問する。" not in text


def test_report_texts_refuse_what_is_too_long(db, city, make_user):
    with pytest.raises(campaigns.CampaignError, match="4000 文字以内"):
        campaigns.save_report_texts(db, city["id"], make_user("admin"), {"summary": "あ" * 4001})


def test_the_public_edition_names_no_small_section_and_no_person(runner, db, city, issued, tmp_path):
    result = runner.invoke(args=["council-report", "R6", "--public", "-o", str(tmp_path / "public.pdf")])
    assert result.exit_code == 0 and "公表版" in result.output
    text = text_of(tmp_path / "public.pdf")
    assert "公表版" in text
    for hidden in ("総務課", "市民課", "図書館", "鈴木", "000101"):  # every section of the tiny city is under 30
        assert hidden not in text, hidden
    assert "その他の所属（2）" in text


def test_the_council_edition_lists_sections_by_code(db, city, issued):
    data = council.report_data(db, city)
    assert [g.label for g in data.by_section] == ["総務課", "市民課"]  # 0101, 0201 (図書館 has nobody in scope)


def test_an_unknown_campaign_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(args=["council-report", "R9", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1 and "キャンペーン「R9」はありません" in result.output


def test_both_editions_from_the_dashboard(client, login, issued):
    login("viewer")
    for edition, name in (("", "council-R6.pdf"), ("public", "public-R6.pdf")):
        response = client.get(f"/reports/council.pdf?edition={edition}")
        assert response.status_code == 200 and name in response.headers["Content-Disposition"]

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


def test_a_previous_campaign_on_another_answer_scale_is_not_compared_item_by_item(db, city, forms):
    from spotcheck import campaigns as campaign_store
    from tests.factories import SELFCHECK_HEADER, answers_row, csv_bytes, import_selfcheck

    import_selfcheck(db, city, csv_bytes(SELFCHECK_HEADER, [answers_row("000101", value="①"),
                                                            answers_row("000102", value="③")]))
    newer_id = campaign_store.create_campaign(db, "R7", "令和7年度 情報セキュリティ監査", forms, fiscal_year=2025)
    newer = campaign_store.get_campaign(db, campaign_id=newer_id)
    import_selfcheck(db, newer, csv_bytes(SELFCHECK_HEADER, [answers_row("000101", value="A"),
                                                             answers_row("000102", value="C")]))
    data = council.report_data(db, newer)
    assert data.previous_campaign_title == "令和6年度 情報セキュリティ監査"
    assert all(item.previous_not_done_rate is None for item in data.items)
    assert any("回答の尺度" in note for note in data.notes)
    same = council.report_data(db, city)  # R6 has no previous campaign: nothing to warn about
    assert not any("回答の尺度" in note for note in same.notes)


def test_the_year_is_not_repeated_when_the_title_already_holds_it():
    from spotcheck.wareki import with_fiscal_year

    assert with_fiscal_year("令和6年度 情報セキュリティ監査", 2024) == "令和6年度 情報セキュリティ監査"
    assert with_fiscal_year("情報セキュリティ監査", 2024) == "情報セキュリティ監査（令和6年度）"

"""The screens of section and contract visits: choosing, the draw record, walk, sign, record, sheet, follow-ups."""
import re

from spotcheck import issuance
from tests.factories import DUE, add_contract, change, signature_url, steps_by_code


def test_choose_draw_walk_sign_and_print_a_section_visit(client, db, city, login):
    auditor = login("auditor")
    page = client.get("/visits").get_data(as_text=True)
    assert "所属を選ぶ・抽選する" in page and "委託契約を選ぶ・抽選する" in page
    page = client.get(f"/visits/subjects/section?campaign={city['id']}").get_data(as_text=True)
    assert "所属の監査" in page and "市民課" in page and "特定個人情報あり" in page
    response = client.post("/visits/subjects/section/draw", data={"campaign_id": city["id"], "exclude_visited": "1"})
    assert response.status_code == 302 and "/draws/" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "この所属の監査を始める" in page and "所属（所属の監査）" in page and "抽選記録は正しく" in page
    visit_id = int(re.search(r"visit=(\d+)", response.location)[1])
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "所属の監査" in page and "所属の職員の自己申告（集計）" in page and "本人の自己申告" not in page
    v = {"id": visit_id, "auditor": auditor}
    for code in steps_by_code(db, v):
        change(db, v, "result", "ok", check=code)
    page = client.get(f"/visits/{visit_id}/sign").get_data(as_text=True)
    assert "所属長（又は事務取扱責任者）の署名" in page
    for role, name in (("auditor", "監査 太郎"), ("auditee", "課長 田中")):
        client.post(f"/visits/{visit_id}/sign", data={"role": role, "name": name, "signature": signature_url()})
    assert db.execute("SELECT status FROM visits WHERE id = ?", [visit_id]).fetchone() == ("locked",)
    response = client.get(f"/visits/{visit_id}/sheet.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "所属の監査" in client.get("/visits").get_data(as_text=True)


def test_pick_a_contract_by_hand_and_its_finding_reaches_the_owning_sections_head(app, db, city, login, client):
    add_contract(db, "R6-委-010", section_code="0201", title="宛名システム運用", contractor="株式会社みなと")
    add_contract(db, "R6-委-011", ended_at="2024-05-01T00:00:00+00:00", title="終わった契約")
    auditor = login("auditor")
    page = client.get(f"/visits/subjects/contract?campaign={city['id']}").get_data(as_text=True)
    assert "宛名システム運用" in page and "終わった契約" not in page and "委託先 株式会社みなと" in page
    contract_id = db.execute("SELECT id FROM contracts WHERE contract_no = 'R6-委-010'").fetchone()[0]
    refused = client.post("/visits/subjects/contract", data={"campaign_id": city["id"], "subject_id": contract_id},
                          follow_redirects=True).get_data(as_text=True)
    assert "抽選によらず選んだ理由を入力してください" in refused
    response = client.post("/visits/subjects/contract", data={"campaign_id": city["id"], "subject_id": contract_id,
                                                              "reason": "所管課からの依頼"})
    visit_id = int(response.location.rsplit("/", 1)[1])
    page = client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "委託契約の監査" in page and "R6-委-010" in page and "所管課の職員の自己申告（集計）" in page
    v = {"id": visit_id, "auditor": auditor}
    for code in steps_by_code(db, v):
        change(db, v, "result", "major" if code == "worker_list" else "ok", check=code)
    change(db, v, "remark", "名簿にない作業者が端末を操作していた", check="worker_list")
    assert "受託者の代表者の署名" in client.get(f"/visits/{visit_id}/sign").get_data(as_text=True)
    issuance.sign(db, visit_id, auditor, due_days=DUE, role="auditor", name="監査 太郎", data_url=signature_url())
    issuance.sign(db, visit_id, auditor, due_days=DUE, role="auditee", name="みなと 代表 山田", data_url=signature_url())
    client.get("/logout")
    login("section_head", "head0201", "0201")
    page = client.get("/followups").get_data(as_text=True)
    assert "作業従事者の名簿" in page and "R6-委-010 宛名システム運用" in page
    followup_id = db.execute("SELECT id FROM followups WHERE visit_id = ?", [visit_id]).fetchone()[0]
    assert "名簿にない作業者" in client.get(f"/followups/{followup_id}").get_data(as_text=True)

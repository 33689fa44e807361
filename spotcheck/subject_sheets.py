"""What a section's or contract's findings sheet and sign page say about their subject and signers."""
from .sheets import SubjectHeader

SIGNER_LABELS = {
    "person": {"auditor": "監査員", "auditee": "被監査者"},
    "section": {"auditor": "監査員", "auditee": "所属長（又は事務取扱責任者）"},
    "contract": {"auditor": "監査員", "auditee": "受託者の代表者"},
}


def signer_labels(kind):
    """{role: label} of the two signers of a visit of this subject kind."""
    return SIGNER_LABELS[kind]


def header(subject, auditee=None) -> SubjectHeader | None:
    """The sheet's header lines for a section or contract (a record.Subject); None for a person."""
    signer = auditee["name"] if auditee else ""
    if subject.kind == "section":
        flags = "・".join(label for present, label in ((subject.my_number, "特定個人情報の取扱いあり"),
                                                       (subject.outsourced, "業務委託システムあり")) if present)
        return SubjectHeader(
            section_label="被監査所属",
            first=("監査の対象", "所属（所属の監査）", "所属の署名者", signer),
            second=("所属の区分", flags or "特定個人情報・業務委託システムなし"),
            report_heading="所属の自己申告（集計）",
            report_note="「所属の自己申告（集計）」は、この所属の在職者のセルフチェックの回答を人数で集計したものです"
                        "（未提出は回答のない在職者）。",
        )
    if subject.kind == "contract":
        title = f"{subject.contract_title}（{subject.system}）" if subject.system else subject.contract_title
        return SubjectHeader(
            section_label="所管課",
            first=("契約番号", subject.contract_no, "委託先", subject.contractor),
            second=("契約名", title),
            report_heading="所管課の自己申告（集計）",
            report_note="「所管課の自己申告（集計）」は、契約を所管する課の在職者のセルフチェックの回答を人数で集計したものです"
                        "（未提出は回答のない在職者）。",
        )
    return None

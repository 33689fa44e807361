"""The contract register screen (委託契約一覧): what the city has outsourced, to whom, and whether it is in force."""
from flask import Blueprint, render_template

from .. import contracts
from ..db import get_db
from ..security import roles

bp = Blueprint("contracts", __name__)


@bp.route("/contracts")
@roles("admin", "auditor")
def contract_list():
    """Every contract on file, in force first, with its section, period, subcontracting and personal data."""
    db = get_db()
    return render_template("contracts/list.html", contracts=contracts.list_contracts(db), counts=contracts.counts(db),
                           states=contracts.STATES)

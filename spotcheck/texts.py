"""Text that people type or import: one rule for how long it may be and which characters it may hold.

The limits live beside the fields they protect (the same numbers the forms give the browser); this
module only says what is wrong (Japanese, or the user's language when shown in a request). Control characters other than newline and tab, and the
bidi overrides that can make a name read differently than it is stored, are never accepted: they
break spreadsheets and can disguise a name.
"""
import re

from flask_babel import lazy_gettext as _

# C0 controls except tab and newline (and CR, which a form's line breaks carry), DEL, C1 controls,
# and the bidirectional embedding, override and isolate marks.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
LINE_BREAK = re.compile(r"[\r\n]")


def problem(text, *, label, limit, multiline=False):
    """Why `text` may not be stored (a lazy sentence naming the field), or None when it may.

    Pass `label` lazily translated too (lazy_gettext), so the whole sentence comes out in one language.
    """
    if not isinstance(text, str):
        return _("%(label)sの形式が正しくありません。", label=label)
    if len(text) > limit:
        length = format(len(text), ",")
        return _("%(label)sは %(limit)s 文字以内にしてください（いま %(length)s 文字）。",
                 label=label, limit=limit, length=length)
    if FORBIDDEN.search(text):
        return _("%(label)sに使えない制御文字が含まれています。", label=label)
    if not multiline and LINE_BREAK.search(text):
        return _("%(label)sに改行は使えません。", label=label)
    return None

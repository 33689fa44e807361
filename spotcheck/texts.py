"""Text that people type or import: one rule for how long it may be and which characters it may hold.

The limits live beside the fields they protect (the same numbers the forms give the browser); this
module only says what is wrong, in Japanese. Control characters other than newline and tab, and the
bidi overrides that can make a name read differently than it is stored, are never accepted: they
break spreadsheets and can disguise a name.
"""
import re

# C0 controls except tab and newline (and CR, which a form's line breaks carry), DEL, C1 controls,
# and the bidirectional embedding, override and isolate marks.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
LINE_BREAK = re.compile(r"[\r\n]")


def problem(text, *, label, limit, multiline=False):
    """Why `text` may not be stored (a Japanese sentence naming the field), or None when it may."""
    if not isinstance(text, str):
        return f"{label}の形式が正しくありません。"
    if len(text) > limit:
        return f"{label}は {limit} 文字以内にしてください（いま {len(text):,} 文字）。"
    if FORBIDDEN.search(text):
        return f"{label}に使えない制御文字が含まれています。"
    if not multiline and LINE_BREAK.search(text):
        return f"{label}に改行は使えません。"
    return None

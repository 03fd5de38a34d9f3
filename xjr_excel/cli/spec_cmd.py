"""``xjr spec``: print the spec, so other tools (and people) can read it."""
from __future__ import annotations

import json

from xjr_excel import forms
from xjr_excel.spec.definition import get_spec


def cli_main(args) -> int:
    spec = forms.lookup(getattr(args, "form", forms.DEFAULT)).spec_for(get_spec(args.policy))
    if args.json:
        print(json.dumps(spec.to_json(), ensure_ascii=False, indent=2))
        return 0
    for t in spec.tables:
        print(f"{spec.sheet(t.sheet).name}  {t.name}  （表头第{t.header_row}行）  {t.title}")
        for f in t.fields:
            flag = "必填" if f.required else "选填"
            extra = f"  [{ '/'.join(f.choices[:6])}{'…' if len(f.choices) > 6 else ''}]" if f.choices else ""
            print(f"    {f.key:<26} {f.header.replace(chr(10), '')}  {f.type} {flag}{extra}")
    return 0

"""List the VBA modules LibreOffice imported from a workbook (run with Debian's /usr/bin/python3).

Usage: /usr/bin/python3 uno_vba_modules.py SOFFICE WORKBOOK
Starts its own headless LibreOffice (own profile, own pipe), loads the file with
macro execution disabled, prints JSON {library: {module: first line of code}}.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main(soffice, path):
    pipe = "xjr" + uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="xjr-uno-") as profile:
        proc = subprocess.Popen([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                                 "--invisible", f"--accept=pipe,name={pipe};urp;"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            local = uno.getComponentContext()
            resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
            for _ in range(300):
                try:
                    ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                    break
                except Exception:
                    time.sleep(0.2)
            else:
                raise SystemExit("LibreOffice did not start")
            desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
            url = uno.systemPathToFileUrl(os.path.abspath(path))
            # MacroExecutionMode 0 = NEVER_EXECUTE: the code is imported, never run.
            doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True), prop("MacroExecutionMode", 0)))
            out = {}
            libs = doc.BasicLibraries
            for lib in libs.getElementNames():
                libs.loadLibrary(lib)
                container = libs.getByName(lib)
                out[lib] = {m: container.getByName(m).splitlines()[:3] for m in container.getElementNames()}
            doc.close(True)
            print(json.dumps(out, ensure_ascii=False))
        finally:
            try:
                desktop.terminate()
            except Exception:
                pass
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

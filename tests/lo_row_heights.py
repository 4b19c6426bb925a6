"""Row heights of a workbook as LibreOffice Calc lays it out: run with the system Python that has `uno`
(Debian's python3-uno), not the project's: `python3 tests/lo_row_heights.py BOOK.xlsx PROFILE_DIR`.

Prints JSON {sheet: {row number: [height set in the file, height LibreOffice needs], ...}, ...} in
points, for every row, the header's too. "Needs": the optimal height Calc computes for the row's
wrapped text with the fonts it has, which a file's fixed height must not fall short of.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import uno  # noqa: F401  (sets up the com.sun.star imports)
from com.sun.star.beans import PropertyValue

POINTS_PER_HUNDREDTH_MM = 72 / 2540


def main(book: str, profile: str) -> None:
    pipe = f"themes_rows_{os.getpid()}"
    office = subprocess.Popen(["soffice", f"-env:UserInstallation={Path(profile).resolve().as_uri()}", "--headless",
                               "--invisible", "--norestore", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(240):  # LibreOffice takes a few seconds to listen, more on a busy machine
            try:
                context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.5)
        else:
            raise SystemExit("LibreOffice did not start listening within 120 s")
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        hidden = PropertyValue()
        hidden.Name, hidden.Value = "Hidden", True
        document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(str(Path(book).resolve())), "_blank", 0,
                                                (hidden,))
        heights = {}
        for sheet in document.Sheets:
            cursor = sheet.createCursor()
            cursor.gotoEndOfUsedArea(False)
            rows = {}
            for index in range(0, cursor.RangeAddress.EndRow + 1):  # the header row's too
                row = sheet.Rows.getByIndex(index)
                given = row.Height
                row.OptimalHeight = True
                rows[index + 1] = [round(given * POINTS_PER_HUNDREDTH_MM, 2),
                                   round(row.Height * POINTS_PER_HUNDREDTH_MM, 2)]
            heights[sheet.Name] = rows
        document.close(True)
        print(json.dumps(heights))
        try:
            desktop.terminate()
        except Exception:
            pass  # the bridge closes as LibreOffice quits
        office.wait(timeout=60)
    finally:
        if office.poll() is None:
            office.kill()


if __name__ == "__main__":
    main(*sys.argv[1:3])

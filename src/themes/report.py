"""The findings report, as Markdown and as one self-contained, accessible HTML file.

Both are built from one `ReportData`; every text in them has already been de-identified by the
caller. The HTML has no external scripts, fonts or images: charts are inline SVG with a title and
a description for screen readers.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class ReportData:
    title: str
    counts: pd.DataFrame  # theme, label, respondents, percent, segments, base_respondents
    quotes: pd.DataFrame  # theme, label, rank, quote, attribution
    breakdowns: dict[str, pd.DataFrame]  # meta column -> long counts (column, theme, respondents, percent, base)
    co_occurrence: pd.DataFrame
    accounting: dict[str, int]
    method: dict[str, object]
    respondents: int
    usable_respondents: int
    agreement: dict | None = None
    notes: list[str] = field(default_factory=list)


def prevalence_sentence(count: int, percent: float, base: int, label: str) -> str:
    """'132 of 201 respondents (65.7%) raised trust and relationships.'"""
    noun = "respondent" if base == 1 else "respondents"
    verb = "raised"
    return f"{count} of {base} {noun} ({percent:.0f}%) {verb} {label[0].lower() + label[1:]}."


def _sentences(data: ReportData) -> list[str]:
    ordered = data.counts.sort_values("respondents", ascending=False)
    return [prevalence_sentence(int(r.respondents), float(r.percent), int(r.base_respondents), r.label)
            for r in ordered.itertuples()]


def _breakdown_table(long: pd.DataFrame, column: str, labels: dict[str, str]) -> pd.DataFrame:
    """Rows: the metadata values (with their respondent base); columns: percent raising each theme."""
    wide = long.pivot_table(index=[column, "base_respondents"], columns="theme", values="percent",
                            aggfunc="first", sort=False)
    wide = wide[[t for t in labels if t in wide.columns]]
    wide.columns = [labels[t] for t in wide.columns]
    wide = wide.reset_index().rename(columns={"base_respondents": "respondents"})
    return wide.sort_values("respondents", ascending=False, kind="stable")


def render_markdown(data: ReportData) -> str:
    labels = dict(zip(data.counts["theme"], data.counts["label"]))
    lines = [f"# {data.title}", ""]
    lines += [f"{data.respondents} respondents gave {data.accounting['input_answers']} answers; "
              f"{data.usable_respondents} respondents gave at least one answer that could be coded. "
              "Percentages are of those respondents.", ""]
    lines += ["## Key findings", ""] + [f"- {s}" for s in _sentences(data)] + [""]
    table = data.counts[["label", "respondents", "percent", "segments"]].rename(columns={
        "label": "Theme", "respondents": "Respondents", "percent": "Percent", "segments": "Passages"})
    lines += ["## Prevalence", "", _md_table(table), ""]
    for column, long in data.breakdowns.items():
        lines += [f"## By {column.replace('_', ' ')}", "",
                  "Percent of respondents in each group who raised each theme.", "",
                  _md_table(_breakdown_table(long, column, labels)), ""]
    if len(data.co_occurrence):
        co = data.co_occurrence.rename(index=labels, columns=labels)
        lines += ["## Themes raised together", "", "Respondents who raised both themes (diagonal: the theme alone).",
                  "", _md_table(co.reset_index().rename(columns={"index": "Theme"})), ""]
    lines += ["## Quotes", ""]
    for theme_id, label in labels.items():
        part = data.quotes[data.quotes["theme"] == theme_id]
        lines += [f"### {label}", ""]
        if part.empty:
            lines += ["No passage carried this theme.", ""]
        for row in part.itertuples():
            lines += [f"> \"{row.quote}\"", f"> — {row.attribution}", ""]
    lines += ["## Method", ""] + [f"- **{k}**: {v}" for k, v in _method_items(data)] + [""]
    lines += ["Answers by status:", "", _md_table(pd.DataFrame(
        [{"Status": k, "Answers": v} for k, v in data.accounting.items()])), ""]
    lines += data.notes
    return "\n".join(lines).rstrip() + "\n"


def _method_items(data: ReportData) -> list[tuple[str, str]]:
    items = [(k, str(v)) for k, v in data.method.items()]
    if data.agreement:
        items.append(("Agreement with human coding", data.agreement.get("summary", "")))
    else:
        items.append(("Agreement with human coding", "not evaluated for this codebook (run `themes calibrate`)"))
    return items


def _md_table(frame: pd.DataFrame) -> str:
    def cell(value) -> str:
        text = f"{value:g}" if isinstance(value, float) else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def bar_chart_svg(labels: list[str], values: list[float], *, title: str, unit: str = "%",
                  width: int = 640) -> str:
    """A horizontal bar chart as accessible inline SVG (role=img, <title>, <desc> with the values)."""
    bar, gap, left = 26, 10, 230
    height = len(labels) * (bar + gap) + gap
    top = max(values, default=0) or 1
    scale = (width - left - 70) / (100 if unit == "%" else top)
    desc = "; ".join(f"{l}: {v:g}{unit}" for l, v in zip(labels, values))
    parts = [f'<svg class="chart" role="img" aria-labelledby="t-{id(labels)} d-{id(labels)}" '
             f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="t-{id(labels)}">{html.escape(title)}</title>',
             f'<desc id="d-{id(labels)}">{html.escape(desc)}</desc>']
    for i, (label, value) in enumerate(zip(labels, values)):
        y = gap + i * (bar + gap)
        length = max(value * scale, 1)
        parts += [f'<text x="{left - 8}" y="{y + bar * 0.68:.0f}" text-anchor="end">{html.escape(label)}</text>',
                  f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar}" rx="3"></rect>',
                  f'<text x="{left + length + 6:.1f}" y="{y + bar * 0.68:.0f}">{value:g}{unit}</text>']
    parts.append("</svg>")
    return "\n".join(parts)


def render_html(data: ReportData) -> str:
    labels = dict(zip(data.counts["theme"], data.counts["label"]))
    ordered = data.counts.sort_values("respondents", ascending=False)
    chart = bar_chart_svg(list(ordered["label"]), [float(p) for p in ordered["percent"]],
                          title="Percent of respondents raising each theme")
    breakdowns = []
    for column, long in data.breakdowns.items():
        breakdowns.append({"column": column.replace("_", " "),
                           "table": _breakdown_table(long, column, labels).to_dict("split")})
    co = data.co_occurrence.rename(index=labels, columns=labels)
    quotes = [{"id": theme_id, "label": label,
               "items": data.quotes[data.quotes["theme"] == theme_id].to_dict("records")}
              for theme_id, label in labels.items()]
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    template = environment.get_template("report.html")
    return template.render(
        data=data, sentences=_sentences(data), chart=chart, breakdowns=breakdowns,
        counts=data.counts.to_dict("records"), co={"index": list(co.index), "columns": list(co.columns),
                                                  "rows": co.to_numpy().tolist()},
        quotes=quotes, method=_method_items(data))

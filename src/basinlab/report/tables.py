"""Report tables: one description, three renderings (HTML for the page, CSV for analysis, LaTeX booktabs for a paper).

A :class:`ReportTable` holds raw values and a list of :class:`Column` s that say how each reads for a person
(header, formatting, an interval from two columns). The CSV keeps full precision under the same headers; the
HTML and LaTeX show the formatted text.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .style import human_number

__all__ = ["Column", "ReportTable", "fmt_number", "fmt_int", "fmt_percent", "fmt_p", "fmt_text", "latex_text"]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _scalar(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def fmt_number(value: Any, digits: int = 3) -> str:
    """``digits`` significant digits, thousands separators, no exponent in everyday ranges; '—' when missing."""
    value = _scalar(value)
    if _missing(value):
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return human_number(float(value), digits)


def fmt_int(value: Any) -> str:
    value = _scalar(value)
    if _missing(value):
        return "—"
    if isinstance(value, float) and math.isinf(value):
        return human_number(value)
    return f"{int(value):,}"


def fmt_percent(value: Any) -> str:
    """A fraction in [0, 1] as a percentage with one decimal."""
    value = _scalar(value)
    return "—" if _missing(value) else f"{100 * float(value):.1f}%"


def fmt_p(value: Any) -> str:
    """A p-value: two significant digits, '< 10⁻⁶' below that."""
    value = _scalar(value)
    if _missing(value):
        return "—"
    return "< 10⁻⁶" if float(value) < 1e-6 else human_number(float(value), 2)


def fmt_text(value: Any) -> str:
    value = _scalar(value)
    return "—" if _missing(value) else str(value)


@dataclass(frozen=True)
class Column:
    """One column as a reader sees it.

    ``source`` is a column of the data, or two columns (low, high) shown as ``[low, high]`` and written to the
    CSV as two columns; ``text`` marks left-aligned prose (wraps in HTML, a ``p{}`` column in LaTeX).
    """

    header: str
    source: str | tuple[str, str]
    fmt: Callable[[Any], str] = fmt_number
    text: bool = False


@dataclass(frozen=True)
class ReportTable:
    """A titled table: ``data`` (raw values), the ``columns`` to show, and a one-paragraph ``note``."""

    name: str
    title: str
    data: pd.DataFrame
    columns: Sequence[Column]
    note: str = ""
    row_class: Callable[[Any], str] | None = field(default=None, compare=False)

    def cells(self) -> list[list[str]]:
        """Formatted text of every cell, row by row."""
        out = []
        for _, row in self.data.iterrows():
            line = []
            for col in self.columns:
                if isinstance(col.source, tuple):
                    lo, hi = (row.get(c) for c in col.source)
                    line.append("—" if _missing(_scalar(lo)) else f"[{col.fmt(lo)}, {col.fmt(hi)}]")
                else:
                    line.append(col.fmt(row.get(col.source)))
            out.append(line)
        return out

    def to_csv(self) -> str:
        """Full-precision values under the readable headers (an interval becomes '<header> low' and '... high')."""
        frame = {}
        for col in self.columns:
            if isinstance(col.source, tuple):
                frame[f"{col.header} low"] = self.data.get(col.source[0])
                frame[f"{col.header} high"] = self.data.get(col.source[1])
            else:
                frame[col.header] = self.data.get(col.source)
        buf = io.StringIO()
        pd.DataFrame(frame, index=self.data.index).to_csv(buf, index=False, lineterminator="\n")
        return buf.getvalue()

    def to_latex(self) -> str:
        """A booktabs ``tabular`` (needs ``\\usepackage{booktabs}``) with the page's text, LaTeX-escaped."""
        spec = "".join("p{0.3\\linewidth}" if c.text else ("l" if i == 0 else "r") for i, c in enumerate(self.columns))
        lines = [f"% {self.title} (basinlab report); needs \\usepackage{{booktabs}}",
                 f"\\begin{{tabular}}{{{spec}}}", "\\toprule",
                 " & ".join(latex_text(c.header) for c in self.columns) + " \\\\", "\\midrule"]
        lines += [" & ".join(latex_text(cell) for cell in row) + " \\\\" for row in self.cells()]
        lines += ["\\bottomrule", "\\end{tabular}", ""]
        return "\n".join(lines)

    def to_html(self) -> str:
        """The ``<table>`` element (text columns left-aligned and wrapping, numbers right-aligned)."""
        if self.data.empty:
            return '<p class="muted">No rows.</p>'
        head = "".join(f"<th class='{'text' if c.text or i == 0 else 'num'}'>{html.escape(c.header)}</th>"
                       for i, c in enumerate(self.columns))
        rows = []
        for (_, raw), cells in zip(self.data.iterrows(), self.cells(), strict=True):
            tds = "".join(f"<td class='{'text' if c.text or i == 0 else 'num'}'>{html.escape(v)}</td>"
                          for i, (c, v) in enumerate(zip(self.columns, cells, strict=True)))
            cls = self.row_class(raw) if self.row_class else ""
            rows.append(f"<tr class='{cls}'>{tds}</tr>" if cls else f"<tr>{tds}</tr>")
        return f"<table id='table-{self.name}'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_LATEX_UNICODE = {
    "α": r"$\alpha$", "τ": r"$\tau$", "ρ": r"$\rho$", "Ψ": r"$\Psi$", "ψ": r"$\psi$", "λ": r"$\lambda$",
    "θ": r"$\theta$", "σ": r"$\sigma$", "Δ": r"$\Delta$", "∞": r"$\infty$", "−": r"$-$", "×": r"$\times$",
    "≤": r"$\leq$", "≥": r"$\geq$", "±": r"$\pm$", "·": r"$\cdot$", "→": r"$\to$", "—": "---", "–": "--",
    "²": r"$^{2}$", "…": r"\ldots{}", "≈": r"$\approx$", "<": r"$<$", ">": r"$>$", "‖": r"$\|$",
}
_SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def latex_text(text: str) -> str:
    """Plain text as LaTeX: specials escaped, Greek letters and math signs as math, '10⁻⁵' as ``10^{-5}``."""
    text = re.sub(r"10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "\x00" + m.group(1).translate(_SUPERSCRIPT) + "\x01", text)
    out = []
    for ch in text:
        out.append(_LATEX_SPECIAL.get(ch) or _LATEX_UNICODE.get(ch) or ch)
    return "".join(out).replace("\x00", "$10^{").replace("\x01", "}$")

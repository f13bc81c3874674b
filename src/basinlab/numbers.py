"""Numbers written for people (the report, the claims, the CLI's tables): one rule, one function."""

from __future__ import annotations

__all__ = ["human_number"]


def human_number(value: float, digits: int = 3) -> str:
    """A number as a person writes it: ``digits`` significant digits, thousands separators, no exponent between
    1e-3 and 1e6 (``-7,940``, ``0.0123``, ``3.14``), ``1.2×10⁻⁵`` outside; '−∞'/'∞'/'nan' as such."""
    import math

    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "−∞" if value < 0 else "∞"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if -3 <= magnitude < 6:
        decimals = max(digits - 1 - magnitude, 0)
        text = f"{round(value, decimals):,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return f"{mantissa.rstrip('0').rstrip('.')}×10{str(int(exponent)).translate(sup)}"

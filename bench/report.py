"""Number formatting and summaries shared by the benchmark tables (bench/*/merge.py)."""
import math


def fmt_ms(ms):
    if ms is None or (isinstance(ms, float) and math.isnan(ms)):
        return "—"
    if ms < 10:
        return f"{ms:.3f}"
    if ms < 100:
        return f"{ms:.2f}"
    return f"{ms:.1f}"


def ratio(peer_ms, ck_ms):
    """peer / convkit (> 1: convkit is faster); None when either is missing."""
    if peer_ms is None or ck_ms is None or not ck_ms or math.isnan(ck_ms):
        return None
    return peer_ms / ck_ms


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}"


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))

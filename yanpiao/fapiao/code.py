"""发票代码 (placeholder until the core lands)."""


def infer_type(code: str, number: str) -> str:
    if not code and len(number) == 20:
        return "32"
    return ""

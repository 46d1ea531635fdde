"""Decision → the formats its consumers read: people (text, Markdown), machines (JSON), CI tools
(JUnit, SARIF, GitHub annotations). Each module renders from the decision's data only."""

FORMATS = ("text", "json", "junit", "sarif", "markdown", "github")


def render(decision, fmt: str, *, color: bool = False, explain: bool = False) -> str:
    import importlib

    module = importlib.import_module(f"govern.output.{'json_out' if fmt == 'json' else fmt}")
    if fmt == "text":
        return module.render(decision, color=color, explain=explain)
    return module.render(decision)

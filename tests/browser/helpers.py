"""Helpers for the browser tests: axe-core checks and keyboard navigation."""

from pathlib import Path

from playwright.async_api import Locator, Page

# The WCAG 2.0, 2.1 and 2.2 A and AA rules, as axe-core tags them.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}

# Tab presses allowed before a test gives up looking for an element by keyboard.
MAX_TAB_PRESSES = 80


async def run_axe(page: Page, axe_script: Path) -> list[dict]:
    """Inject axe-core into ``page`` and return every violation of the WCAG A and AA rules.

    The page must come from a context opened with ``bypass_csp=True``, because
    ``add_script_tag`` adds an inline script, which the forum's ``script-src 'self'``
    policy blocks.
    """
    await page.add_script_tag(path=str(axe_script))
    results = await page.evaluate(
        """(tags) => axe.run(document, {
            runOnly: {type: "tag", values: tags},
            resultTypes: ["violations"],
        })""",
        AXE_TAGS,
    )
    return results["violations"]


def blocking_violations(violations: list[dict]) -> list[dict]:
    return [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]


def describe_violations(violations: list[dict], max_targets: int = 3) -> str:
    """Format violations one a line: rule id, impact, help text and the first targets."""
    lines = []
    for violation in violations:
        targets = [" ".join(node["target"]) for node in violation["nodes"][:max_targets]]
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}; "
            f"{len(violation['nodes'])} element(s), first: {targets}"
        )
    return "\n".join(lines)


async def tab_to(page: Page, target: Locator) -> int:
    """Press Tab until ``target`` has the focus, and return how many presses it took.

    Raises AssertionError when the element is not reached within MAX_TAB_PRESSES, which
    means it is missing from the tab order or sits too far down it.
    """
    element = await target.element_handle()
    for presses in range(1, MAX_TAB_PRESSES + 1):
        await page.keyboard.press("Tab")
        if await page.evaluate("(element) => document.activeElement === element", element):
            return presses

    focused = await page.evaluate("() => document.activeElement?.outerHTML.slice(0, 200)")
    raise AssertionError(
        f"Tab did not reach {target} within {MAX_TAB_PRESSES} presses. The focus is on {focused}."
    )

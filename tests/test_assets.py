"""Tests for forum.assets and for the built files in static/dist/.

These tests never run npm, because a build takes seconds. `make test` builds
the assets first, and the checks on static/dist/ fail when no build exists.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import re

import pytest

from forum.assets import AssetError, AssetManifest, load_manifest

pytestmark = pytest.mark.no_database

PROJECT_ROOT = pathlib.Path(__file__).resolve().parent.parent
DIST_DIR = PROJECT_ROOT / "static" / "dist"

# The font stack that static/src/styles/_settings.scss sets, as the compressed
# CSS writes it.
SYSTEM_FONT_STACK = 'system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif'

REQUIRED_ASSETS = ["app.css", "app.js", "govuk-frontend.js", "htmx.js", "images/favicon.ico"]

# static/build.mjs keeps this many hex digits of the SHA-256 of each file.
HASH_LENGTH = 8

WCAG_AA_NORMAL_TEXT = 4.5
WCAG_AAA_NORMAL_TEXT = 7.0

FAKE_ENTRIES = {
    "app.css": "app.0123abcd.css",
    "app.js": "app.4567ef01.js",
    "images/favicon.ico": "images/favicon.89abcdef.ico",
}


def write_manifest(dist_dir: pathlib.Path, content: str) -> None:
    dist_dir.mkdir(parents=True, exist_ok=True)
    (dist_dir / "manifest.json").write_text(content, encoding="utf-8")


@pytest.fixture(name="fake_dist")
def _fake_dist(tmp_path: pathlib.Path) -> pathlib.Path:
    dist_dir = tmp_path / "dist"
    write_manifest(dist_dir, json.dumps(FAKE_ENTRIES))
    return dist_dir


# AssetManifest ----------------------------------------------------------------


def test_url_returns_hashed_path(fake_dist):
    manifest = AssetManifest(fake_dist)

    assert manifest.url("app.css") == "/static/dist/app.0123abcd.css"
    assert manifest.url("app.js") == "/static/dist/app.4567ef01.js"


def test_url_keeps_folder_in_name(fake_dist):
    manifest = AssetManifest(fake_dist)

    assert manifest.url("images/favicon.ico") == "/static/dist/images/favicon.89abcdef.ico"


def test_url_missing_asset_error(fake_dist):
    manifest = AssetManifest(fake_dist)

    with pytest.raises(AssetError) as caught:
        manifest.url("missing.css")

    message = str(caught.value)
    assert "'missing.css'" in message
    assert "make assets" in message
    assert "app.css" in message, "the message should list the assets that do exist"


def test_missing_manifest_error(tmp_path):
    with pytest.raises(AssetError) as caught:
        load_manifest(tmp_path / "dist")

    message = str(caught.value)
    assert "manifest.json" in message
    assert "not found" in message
    assert "make assets" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        ('["app.css"]', "must be a JSON object"),
        ('{"app.css": 3}', "invalid file name for 'app.css'"),
        ('{"app.css": ""}', "invalid file name for 'app.css'"),
    ],
)
def test_invalid_manifest_error(tmp_path, content, expected):
    dist_dir = tmp_path / "dist"
    write_manifest(dist_dir, content)

    with pytest.raises(AssetError) as caught:
        load_manifest(dist_dir)

    assert expected in str(caught.value)
    assert "make assets" in str(caught.value)


def test_load_manifest_reads_file_once(fake_dist):
    manifest = load_manifest(fake_dist)
    write_manifest(fake_dist, json.dumps({"app.css": "app.ffffffff.css"}))

    assert manifest.url("app.css") == "/static/dist/app.0123abcd.css"
    assert manifest.entries == FAKE_ENTRIES


def test_entries_are_read_only(fake_dist):
    manifest = load_manifest(fake_dist)

    with pytest.raises(TypeError):
        manifest.entries["app.css"] = "app.ffffffff.css"  # type: ignore[index]


# Built files in static/dist/ ------------------------------------------------


def load_built_manifest() -> AssetManifest:
    """Return the manifest in static/dist/, failing the calling test if there is none."""
    if not (DIST_DIR / "manifest.json").exists():
        pytest.fail(
            f"{DIST_DIR / 'manifest.json'} not found. Run `make assets` to build the "
            "front-end assets (`make test` does this first)."
        )
    return load_manifest(DIST_DIR)


def read_built(built: AssetManifest, logical_name: str) -> str:
    return (DIST_DIR / built.entries[logical_name]).read_text(encoding="utf-8")


def test_built_manifest_has_required_assets():
    built = load_built_manifest()
    missing = [name for name in REQUIRED_ASSETS if name not in built.entries]

    assert missing == []


def test_built_files_exist():
    built = load_built_manifest()
    missing = [name for name in built.entries.values() if not (DIST_DIR / name).is_file()]

    assert missing == []


def test_built_names_match_content_hash():
    built = load_built_manifest()
    for logical_name, hashed_name in built.entries.items():
        content_hash = hashlib.sha256((DIST_DIR / hashed_name).read_bytes()).hexdigest()
        stem, extension = logical_name.rsplit(".", 1)
        expected = f"{stem}.{content_hash[:HASH_LENGTH]}.{extension}"

        assert hashed_name == expected, f"{logical_name} is stale or was edited after the build"


def test_built_css_uses_system_fonts():
    built = load_built_manifest()
    css = read_built(built, "app.css")

    assert "GDS Transport" not in css
    assert "@font-face" not in css
    assert SYSTEM_FONT_STACK in css


def test_built_css_urls_resolve():
    built = load_built_manifest()
    css = read_built(built, "app.css")
    shipped = set(built.entries.values())

    for reference in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css):
        if reference.startswith("data:"):
            continue
        assert reference in shipped, f"app.css refers to {reference}, which the build did not write"


def test_built_app_js_imports_hashed_govuk():
    built = load_built_manifest()
    script = read_built(built, "app.js")

    assert f'from "./{built.entries["govuk-frontend.js"]}"' in script
    assert 'from "govuk-frontend"' not in script


def test_built_scripts_have_no_source_map_comment():
    built = load_built_manifest()
    for logical_name in ["app.js", "govuk-frontend.js", "htmx.js"]:
        assert "sourceMappingURL" not in read_built(built, logical_name), logical_name


# Colour contrast of the built CSS --------------------------------------------


def relative_luminance(hex_colour: str) -> float:
    """Return the WCAG 2.2 relative luminance of a #rgb or #rrggbb colour."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    channels = [int(digits[index : index + 2], 16) / 255 for index in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted([relative_luminance(first), relative_luminance(second)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


HEX = r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b"


def without_at_rule_blocks(css: str) -> str:
    """Return ``css`` without @media, @supports and other at-rule blocks."""
    outside_blocks = []
    index = 0
    while (start := css.find("@", index)) != -1:
        outside_blocks.append(css[index:start])
        opening = css.find("{", start)
        semicolon = css.find(";", start)
        if opening == -1 or (semicolon != -1 and semicolon < opening):
            index = len(css) if semicolon == -1 else semicolon + 1  # @charset and similar
            continue
        depth = 0
        for position in range(opening, len(css)):
            if css[position] == "{":
                depth += 1
            elif css[position] == "}":
                depth -= 1
                if depth == 0:
                    break
        index = position + 1
    outside_blocks.append(css[index:])
    return "".join(outside_blocks)


def rule_declarations(css: str, selector: str) -> str:
    """Return the declarations of the last rule, outside at-rules, for exactly ``selector``."""
    top_level = without_at_rule_blocks(css)
    matches = re.findall(r"(?:^|[}\n])" + re.escape(selector) + r"\{([^}]*)\}", top_level)
    assert matches, f"no rule for {selector} in app.css"
    return matches[-1]


def declared_colour(declarations: str, properties: str) -> str:
    match = re.search(rf"(?:^|;)(?:{properties}):({HEX})", declarations)
    assert match, f"no hex colour for {properties} in {declarations!r}"
    return match.group(1)


@pytest.mark.parametrize("selector", [".forum-tag--skill-area", ".forum-tag--role"])
def test_tag_colour_contrast(selector):
    built = load_built_manifest()
    declarations = rule_declarations(read_built(built, "app.css"), selector)
    text = declared_colour(declarations, "color")
    background = declared_colour(declarations, "background-color")

    assert contrast_ratio(text, background) >= WCAG_AAA_NORMAL_TEXT


def test_header_colour_contrast():
    built = load_built_manifest()
    declarations = rule_declarations(read_built(built, "app.css"), ".govuk-header")
    background = declared_colour(declarations, "background-color|background")

    assert contrast_ratio("#ffffff", background) >= WCAG_AA_NORMAL_TEXT


def test_highlight_colour_contrast():
    built = load_built_manifest()
    css = read_built(built, "app.css")
    if ".highlight .hl-" not in css:
        pytest.skip("app.css has no highlight rules because static/src/highlight.css is absent")
    highlight_rule = rule_declarations(css, ".highlight")
    background = declared_colour(highlight_rule, "background-color|background")

    token_rules = re.findall(r"\.highlight \.(hl-[\w-]+)\{([^}]*)\}", css)
    assert token_rules
    for token_class, declarations in token_rules:
        colour = re.search(rf"(?:^|;)color:({HEX})", declarations)
        if colour is None:
            continue
        own_background = re.search(rf"background-color:({HEX})", declarations)
        behind = own_background.group(1) if own_background else background
        ratio = contrast_ratio(colour.group(1), behind)

        assert ratio >= WCAG_AA_NORMAL_TEXT, f".{token_class} is {ratio:.2f}:1"

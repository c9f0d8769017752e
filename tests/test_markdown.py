"""Tests for forum.markdown: features, hostile input, limits and timing."""

from __future__ import annotations

import html
import re
import time
from html.parser import HTMLParser

import pytest
from pygments.lexer import RegexLexer
from pygments.token import Text

from forum import markdown as forum_markdown
from forum.markdown import (
    RENDERER_VERSION,
    MarkdownError,
    highlight_css,
    render_markdown,
)

pytestmark = pytest.mark.no_database

MAX_LENGTH = 20000
# Measured as this process's CPU time, so that other work on a shared machine does not
# make the test fail: the limit is about the renderer's own cost.
TIME_LIMIT_SECONDS = 1.0
REL = 'rel="nofollow ugc noopener"'


# Checker for executable markup ------------------------------------------------

FORBIDDEN_TAGS = {
    "script", "iframe", "object", "embed", "svg", "math", "style", "link",
    "meta", "base", "form", "frame", "frameset", "applet",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}
SAFE_SCHEMES = {"http", "https", "mailto"}
_CONTROL_AND_SPACE_RE = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):")


def url_scheme(url: str) -> str | None:
    """Return the lower-case scheme a browser would see in ``url``, or None."""
    cleaned = _CONTROL_AND_SPACE_RE.sub("", html.unescape(url)).lower()
    match = _SCHEME_RE.match(cleaned)
    return match.group(1) if match else None


class UnsafeMarkupFinder(HTMLParser):
    """Collect descriptions of every executable element or attribute in HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name} attribute on <{tag}>")
            if name in ("style", "srcdoc", "srcset"):
                self.problems.append(f"{name} attribute on <{tag}>")
            if name in URL_ATTRIBUTES:
                scheme = url_scheme(value or "")
                if scheme is not None and scheme not in SAFE_SCHEMES:
                    self.problems.append(f"{name}={value!r} on <{tag}>")


def find_unsafe_markup(rendered: str) -> list[str]:
    finder = UnsafeMarkupFinder()
    finder.feed(rendered)
    finder.close()
    return finder.problems


@pytest.mark.parametrize(
    "unsafe_html",
    [
        "<script>alert(1)</script>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" JaVa&#x09;ScRiPt:alert(1)">x</a>',
        '<img src="data:image/png;base64,AAAA">',
        '<p style="color:red">x</p>',
        '<div onclick="alert(1)">x</div>',
        "<svg></svg>",
        '<iframe src="https://example.com"></iframe>',
    ],
)
def test_checker_finds_unsafe_markup(unsafe_html: str) -> None:
    assert find_unsafe_markup(unsafe_html) != []


@pytest.mark.parametrize(
    "safe_html",
    [
        '<a href="https://example.com" rel="nofollow">x</a>',
        '<a href="/threads/1">x</a>',
        '<a href="#fn-1">x</a>',
        '<a href="mailto:team@example.gov.uk">x</a>',
        '<img src="https://example.com/a.png" alt="a">',
    ],
)
def test_checker_accepts_safe_markup(safe_html: str) -> None:
    assert find_unsafe_markup(safe_html) == []


# Normal features ---------------------------------------------------------------

# (case id, source, substrings that must all appear in the output)
FEATURE_CASES = [
    ("heading", "# Caseload summary", ["<h1>Caseload summary</h1>"]),
    ("heading level 3", "### Notes", ["<h3>Notes</h3>"]),
    ("emphasis", "*one* and **two**", ["<em>one</em>", "<strong>two</strong>"]),
    ("strikethrough", "~~old figure~~", ["<s>old figure</s>"]),
    ("paragraphs", "first\n\nsecond", ["<p>first</p>", "<p>second</p>"]),
    ("blockquote", "> quoted", ["<blockquote>", "<p>quoted</p>"]),
    ("bullet list", "- a\n- b", ["<ul>", "<li>a</li>", "<li>b</li>"]),
    ("ordered list start", "3. c\n4. d", ['<ol start="3">', "<li>c</li>"]),
    ("inline code", "use `COUNT(*)`", ["<code>COUNT(*)</code>"]),
    ("hard break", "a  \nb", ["a<br>"]),
    ("horizontal rule", "a\n\n---\n\nb", ["<hr>"]),
    (
        "table",
        "| LA | CiN |\n|---|---|\n| Leeds | 12 |",
        ["<table>", "<thead>", "<th>LA</th>", "<tbody>", "<td>12</td>"],
    ),
    (
        "table alignment",
        "| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |",
        [
            '<th class="align-left">a</th>',
            '<th class="align-center">b</th>',
            '<td class="align-right">3</td>',
        ],
    ),
    (
        "task list",
        "- [ ] check returns\n- [x] submit",
        [
            '<ul class="contains-task-list">',
            '<li class="task-list-item"><input class="task-list-item-checkbox" '
            'type="checkbox" disabled="disabled"> check returns</li>',
            'type="checkbox" checked="checked" disabled="disabled"> submit</li>',
        ],
    ),
    (
        "ordered task list",
        "1. [X] done",
        ['<ol class="contains-task-list">', 'checked="checked"'],
    ),
    (
        "footnote",
        "Figures are provisional[^1].\n\n[^1]: Published in March.",
        [
            '<sup class="footnote-ref"><a href="#fn-',
            '<section class="footnotes">',
            '<li id="fn-',
            "Published in March.",
            'class="footnote-backref"',
        ],
    ),
    (
        "link",
        "[guidance](https://www.gov.uk/guidance)",
        [f'<a href="https://www.gov.uk/guidance" {REL}>guidance</a>'],
    ),
    (
        "relative link",
        "[thread](/threads/12)",
        [f'<a href="/threads/12" {REL}>thread</a>'],
    ),
    ("fragment link", "[top](#top)", [f'<a href="#top" {REL}>top</a>']),
    (
        "mailto link",
        "[email](mailto:data@example.gov.uk)",
        [f'<a href="mailto:data@example.gov.uk" {REL}>email</a>'],
    ),
    (
        "angle autolink",
        "<https://example.org/a>",
        [f'<a href="https://example.org/a" {REL}>https://example.org/a</a>'],
    ),
    (
        "linkify url",
        "see https://example.org/report now",
        [f'<a href="https://example.org/report" {REL}>https://example.org/report</a>'],
    ),
    (
        "linkify www",
        "see www.example.gov.uk now",
        [f'<a href="http://www.example.gov.uk" {REL}>www.example.gov.uk</a>'],
    ),
    (
        "linkify email",
        "mail data@example.gov.uk",
        [f'<a href="mailto:data@example.gov.uk" {REL}>data@example.gov.uk</a>'],
    ),
    (
        "image",
        "![chart](https://example.org/chart.png)",
        ['<img src="https://example.org/chart.png" alt="chart">'],
    ),
    ("raw html escaped", "<b>bold</b>", ["<p>&lt;b&gt;bold&lt;/b&gt;</p>"]),
    (
        "raw html block escaped",
        "<div>\nx\n</div>",
        ["&lt;div&gt;", "&lt;/div&gt;"],
    ),
    ("entity kept", "5 &lt; 6 &amp; more", ["5 &lt; 6 &amp; more"]),
    (
        "sql code",
        "```sql\nSELECT child_id FROM cin -- all\n```",
        [
            '<pre class="highlight" tabindex="0"><code class="language-sql">',
            '<span class="hl-k">SELECT</span>',
            '<span class="hl-c1">-- all</span>',
        ],
    ),
    (
        "tsql code",
        "```tsql\nDECLARE @n INT = 1;\n```",
        ['<code class="language-tsql">', '<span class="hl-k">DECLARE</span>'],
    ),
    (
        "python code",
        "```python\ndef load(path):\n    return 'x'\n```",
        [
            '<code class="language-python">',
            '<span class="hl-k">def</span>',
            '<span class="hl-nf">load</span>',
            "<span class=\"hl-s1\">'x'</span>",
        ],
    ),
    (
        "python alias",
        "```py\nimport pandas\n```",
        ['<code class="language-python">', '<span class="hl-kn">import</span>'],
    ),
    (
        "r code",
        '```r\nla <- read.csv("cin.csv") # load\n```',
        [
            '<code class="language-r">',
            '<span class="hl-o">&lt;-</span>',
            '<span class="hl-c1"># load</span>',
        ],
    ),
    (
        "dax code",
        "```dax\nTotal Cases := CALCULATE ( COUNTROWS ( Cases ), 'Date'[Year] = 2024 )"
        ' // all\nVAR x = "a" RETURN x\n```',
        [
            '<code class="language-dax">',
            '<span class="hl-nf">CALCULATE</span>',
            "<span class=\"hl-nc\">'Date'</span>",
            '<span class="hl-na">[Year]</span>',
            '<span class="hl-k">VAR</span>',
            '<span class="hl-c1">// all</span>',
            '<span class="hl-s2">"a"</span>',
        ],
    ),
    (
        "power query m code",
        '```m\nlet\n  Source = Table.SelectRows(#"Raw Data", each [Age] > 10) // c\n'
        "in\n  Source\n```",
        [
            '<code class="language-powerquery">',
            '<span class="hl-k">let</span>',
            '<span class="hl-nb">Table.SelectRows</span>',
            '<span class="hl-n">#"Raw Data"</span>',
            '<span class="hl-k">each</span>',
            '<span class="hl-c1">// c</span>',
        ],
    ),
    (
        "powerquery alias",
        '```powerquery\nlet x = "t" in x\n```',
        ['<code class="language-powerquery">', '<span class="hl-s2">"t"</span>'],
    ),
    (
        "unknown language",
        "```cobol\n<b>MOVE</b>\n```",
        ['<pre class="highlight" tabindex="0"><code>&lt;b&gt;MOVE&lt;/b&gt;\n</code></pre>'],
    ),
    (
        "indented code",
        "    x <- 1",
        ['<pre class="highlight" tabindex="0"><code>x &lt;- 1\n</code></pre>'],
    ),
    (
        "language name upper case",
        "```SQL\nselect 1\n```",
        ['<code class="language-sql">'],
    ),
]


@pytest.mark.parametrize(
    ("source", "expected_parts"),
    [pytest.param(source, parts, id=case) for case, source, parts in FEATURE_CASES],
)
def test_feature_renders(source: str, expected_parts: list[str]) -> None:
    rendered = render_markdown(source)
    for part in expected_parts:
        assert part in rendered


@pytest.mark.parametrize(
    ("source", "expected_html"),
    [
        ("# Title", "<h1>Title</h1>\n"),
        ("*a* **b** ~~c~~", "<p><em>a</em> <strong>b</strong> <s>c</s></p>\n"),
        ("<i>x</i>", "<p>&lt;i&gt;x&lt;/i&gt;</p>\n"),
        (
            "[a](https://example.org)",
            f'<p><a href="https://example.org" {REL}>a</a></p>\n',
        ),
    ],
)
def test_render_exact_html(source: str, expected_html: str) -> None:
    assert render_markdown(source) == expected_html


# (case id, source, substrings that must not appear in the output)
ABSENT_CASES = [
    ("python file not linked", "run main.py first", ["<a"]),
    ("markdown file not linked", "see notes.md", ["<a"]),
    ("inline footnote syntax off", "growth of 2^[n] cases", ["footnote", "<sup"]),
    ("relative image dropped", "![local chart](/static/chart.png)", ["<img"]),
    ("mailto image dropped", "![x](mailto:a@example.org)", ["<img"]),
    ("relative path link dropped", "[x](reports/q1.html)", ["<a"]),
    ("ftp link dropped", "[x](ftp://example.org/file)", ["<a"]),
    ("escaped task marker", "- \\[ ] not a task", ["<input", "task-list-item"]),
    ("code span not highlighted", "`SELECT 1`", ["hl-"]),
]


@pytest.mark.parametrize(
    ("source", "absent_parts"),
    [pytest.param(source, parts, id=case) for case, source, parts in ABSENT_CASES],
)
def test_feature_absent(source: str, absent_parts: list[str]) -> None:
    rendered = render_markdown(source)
    for part in absent_parts:
        assert part not in rendered


def test_dropped_image_keeps_alt_text() -> None:
    rendered = render_markdown("![local chart](/static/chart.png)")
    assert rendered == "<p>local chart</p>\n"


def test_every_link_has_rel() -> None:
    source = (
        "[a](https://example.org) <https://example.net> www.example.com "
        "x@example.org [b](/c) note[^1]\n\n[^1]: text"
    )
    rendered = render_markdown(source)
    anchors = re.findall(r"<a [^>]*>", rendered)
    assert len(anchors) == 7
    for anchor in anchors:
        assert REL in anchor


def test_footnote_ids_match_links() -> None:
    rendered = render_markdown("a[^n] b[^n]\n\n[^n]: note")
    hrefs = set(re.findall(r'href="#([^"]+)"', rendered))
    ids = set(re.findall(r'id="([^"]+)"', rendered))
    assert hrefs
    assert hrefs <= ids


def test_footnote_ids_differ_between_posts() -> None:
    first = render_markdown("one[^1]\n\n[^1]: a")
    second = render_markdown("two[^1]\n\n[^1]: b")
    first_ids = set(re.findall(r'id="([^"]+)"', first))
    second_ids = set(re.findall(r'id="([^"]+)"', second))
    assert first_ids
    assert first_ids.isdisjoint(second_ids)


def test_render_is_deterministic() -> None:
    source = "# T\n\nnote[^1]\n\n[^1]: x\n\n```sql\nselect 1\n```"
    assert render_markdown(source) == render_markdown(source)


def test_lone_surrogate_replaced() -> None:
    assert render_markdown("a\ud800b") == "<p>a\ufffdb</p>\n"


def test_highlight_css_uses_prefix() -> None:
    css = highlight_css()
    assert ".highlight { background:" in css
    assert ".highlight .hl-k {" in css
    assert ".highlight .hl-c1 {" in css
    assert "linenos" not in css


def test_highlight_css_covers_rendered_classes() -> None:
    rendered = render_markdown("```python\ndef f():\n    return 1  # c\n```")
    css = highlight_css()
    for css_class in ("hl-k", "hl-nf", "hl-mi", "hl-c1"):
        assert f'class="{css_class}"' in rendered
        assert f".highlight .{css_class} {{" in css


def test_renderer_version_is_positive_int() -> None:
    assert isinstance(RENDERER_VERSION, int)
    assert RENDERER_VERSION >= 1


class BrokenLexer(RegexLexer):
    name = "Broken"
    tokens = {"root": [(r".+", Text)]}

    def get_tokens_unprocessed(self, text, stack=("root",)):  # type: ignore[override]
        raise RuntimeError("lexer bug")


def test_lexer_error_shows_plain_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(forum_markdown._LANGUAGES, "sql", ("sql", BrokenLexer))
    rendered = render_markdown("```sql\nSELECT '<x>'\n```")
    assert rendered == (
        '<pre class="highlight" tabindex="0"><code class="language-sql">'
        "SELECT '&lt;x&gt;'\n</code></pre>\n"
    )


def test_parser_error_raises_markdown_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(source: str, env: object = None) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(forum_markdown._MARKDOWN, "parse", fail)
    with pytest.raises(MarkdownError, match="We could not format this post"):
        render_markdown("hello")


def test_markdown_error_is_value_error() -> None:
    assert issubclass(MarkdownError, ValueError)


# Hostile input -------------------------------------------------------------------

HOSTILE_SOURCES = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    "<style>body { display: none }</style>",
    '<p style="position:fixed;top:0">cover</p>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<!-- <script>alert(1)</script> -->",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript&#x3A;alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](<java\tscript:alert(1)>)",
    "[x](<java\nscript:alert(1)>)",
    "[x](\x01javascript:alert(1))",
    "[x](  javascript:alert(1)  )",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](JAVASCRIPT:alert(1))",
    "[x][bad]\n\n[bad]: javascript:alert(1)",
    '[x][bad]\n\n[bad]: <JAVASCRIPT:alert(1)> "title"',
    "![x][img]\n\n[img]: data:image/gif;base64,R0lGODlhAQABAAAAACw=",
    "<javascript:alert(1)>",
    "<JavaScript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "[<img src=x onerror=alert(1)>](https://example.org)",
    '[x](https://example.org "t\\" onmouseover=\\"alert(1)")',
    '![x" onerror="alert(1)](https://example.org/a.png)',
    "![x](https://example.org/a.png\" onerror=\"alert(1))",
    "https://example.org/\"onmouseover=\"alert(1)",
    "www.example.com/<script>alert(1)</script>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "```sql\n</code></pre><script>alert(1)</script>\n```",
    '```"><script>alert(1)</script>\nx\n```',
    "```python onload=alert(1)\nx = 1\n```",
    "- [x] <input type=checkbox onclick=alert(1)>",
    "x[^1]\n\n[^1]: [y](javascript:alert(1)) <script>alert(1)</script>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> [x](javascript:alert(1)) |",
    "> " * 15 + "<script>alert(1)</script>",
    "<div>" * 1000 + "<script>alert(1)</script>" + "</div>" * 1000,
    "a" * 10000 + "<script>alert(1)</script>" + "[x](javascript:alert(1))",
    "[" * 500 + "x](javascript:alert(1))" + "]" * 500,
    "*_" * 500 + "<img src=x onerror=alert(1)>" + "_*" * 500,
    "[x](javascript:alert(1)",
    "<a href='javascript:alert(1)'",
    "\x00<script>alert(1)</script>",
]


@pytest.mark.parametrize("source", HOSTILE_SOURCES)
def test_hostile_input_has_no_executable_markup(source: str) -> None:
    rendered = render_markdown(source)
    assert find_unsafe_markup(rendered) == []


def test_hostile_list_is_large_enough() -> None:
    assert len(HOSTILE_SOURCES) >= 30


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x][bad]\n\n[bad]: javascript:alert(1)",
        "<javascript:alert(1)>",
        "![x](javascript:alert(1))",
        "![x](data:image/png;base64,iVBORw0KGgo=)",
    ],
)
def test_bad_url_makes_no_link(source: str) -> None:
    rendered = render_markdown(source)
    assert "<a" not in rendered
    assert "<img" not in rendered


def test_raw_script_is_escaped_text() -> None:
    rendered = render_markdown("<script>alert(1)</script>")
    assert rendered == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


# The Markdown layer escapes raw HTML, so these feed HTML straight to the
# sanitiser that runs after it.
SANITISER_CASES = [
    ("<script>alert(1)</script><p>ok</p>", "<p>ok</p>"),
    ('<a href="javascript:alert(1)">x</a>', f"<a {REL}>x</a>"),
    ('<a href=" JaVa&#x09;ScRiPt:alert(1)">x</a>', f"<a {REL}>x</a>"),
    ('<a href="reports/q1.html">x</a>', f"<a {REL}>x</a>"),
    (
        '<a href="https://example.org" rel="opener">x</a>',
        f'<a href="https://example.org" {REL}>x</a>',
    ),
    ('<img src="/static/a.png" alt="a">', '<img alt="a">'),
    ('<img src="data:image/png;base64,AAAA" onerror="alert(1)">', "<img>"),
    ('<p style="color:red" onclick="alert(1)">x</p>', "<p>x</p>"),
    ('<span class="hl-k evil">x</span>', '<span class="hl-k">x</span>'),
    ('<li id="main">x</li>', "<li>x</li>"),
    ('<input type="text" value="x">', '<input disabled="disabled">'),
    ('<input type="checkbox" checked="checked">',
     '<input type="checkbox" checked="checked" disabled="disabled">'),
    ("<svg onload=alert(1)><circle></circle></svg>", ""),
    ("<iframe src=https://example.org></iframe>", ""),
    ('<table><tr><td class="align-right" style="x">1</td></tr></table>',
     '<table><tbody><tr><td class="align-right">1</td></tr></tbody></table>'),
]


@pytest.mark.parametrize(("raw_html", "expected_html"), SANITISER_CASES)
def test_sanitiser_output(raw_html: str, expected_html: str) -> None:
    cleaned = forum_markdown._CLEANER.clean(raw_html)
    assert cleaned == expected_html
    assert find_unsafe_markup(cleaned) == []


# Length and emptiness ------------------------------------------------------------


def test_over_length_raises_with_limit() -> None:
    with pytest.raises(MarkdownError) as caught:
        render_markdown("a" * 25310)
    assert str(caught.value) == (
        "Your post is 25,310 characters long, but the limit is 20,000 characters. "
        "Shorten it and try again."
    )


def test_custom_max_length_in_message() -> None:
    with pytest.raises(MarkdownError, match="limit is 100 characters"):
        render_markdown("a" * 101, max_length=100)


def test_exact_max_length_renders() -> None:
    assert render_markdown("a" * 100, max_length=100) == "<p>" + "a" * 100 + "</p>\n"


@pytest.mark.parametrize("source", ["", " ", "\n\n", "\t \r\n", "\u00a0\u3000"])
def test_empty_source_raises(source: str) -> None:
    with pytest.raises(MarkdownError) as caught:
        render_markdown(source)
    assert str(caught.value) == "Write something before posting."


def test_non_string_source_raises_type_error() -> None:
    with pytest.raises(TypeError):
        render_markdown(b"bytes")  # type: ignore[arg-type]


def test_nesting_within_limit_renders() -> None:
    rendered = render_markdown(">" * 19 + " deep")
    assert rendered.count("<blockquote>") == 19
    assert "deep" in rendered


def test_nesting_over_limit_raises() -> None:
    with pytest.raises(MarkdownError, match="too many levels of nested quotes"):
        render_markdown(">" * 20 + " deep")


def test_nested_lists_over_limit_raise() -> None:
    source = "\n".join("  " * level + f"- item {level}" for level in range(10))
    with pytest.raises(MarkdownError, match="too many levels"):
        render_markdown(source)


def test_table_cells_over_limit_raise() -> None:
    source = "a|b\n-|-\n" + "|\n" * 6000
    with pytest.raises(MarkdownError) as caught:
        render_markdown(source)
    assert "limit is 10,000" in str(caught.value)


def test_tables_count_towards_one_limit() -> None:
    table = "|" + "a|" * 50 + "\n|" + "-|" * 50 + "\n" + "|\n" * 59 + "\n"
    assert "<table>" in render_markdown(table * 3)
    with pytest.raises(MarkdownError, match="tables in your post"):
        render_markdown(table * 4)


# Pathological input --------------------------------------------------------------


def fill(unit: str, length: int = MAX_LENGTH) -> str:
    """Repeat ``unit`` to exactly ``length`` characters."""
    return (unit * (length // len(unit) + 1))[:length]


PATHOLOGICAL_SOURCES = {
    "nested quotes on one line": fill(">"),
    "nested quotes on every line": fill(">" * 18 + " a\n"),
    "nested lists on one line": fill("- "),
    "nested ordered lists": fill("1. "),
    "indented nested lists": "\n".join("  " * level + "- a" for level in range(140))[
        :MAX_LENGTH
    ],
    "nested lists at the limit": fill(
        "\n".join("  " * level + "- a" for level in range(9)) + "\n\n"
    ),
    "mixed quotes and lists": fill("> - > 1. "),
    "open brackets": fill("["),
    "open brackets with text": fill("[a"),
    "open image brackets": fill("!["),
    "open footnote brackets": fill("[^"),
    "image and footnote brackets": fill("^[!["),
    "brackets and emphasis": fill("[*"),
    "unclosed link destinations": fill("[a]("),
    "star underscore pairs": fill("*_"),
    "nested emphasis": "*" * 9999 + "a" + "*" * 10000,
    "nested strikethrough emphasis": fill("*_~~")[:9999] + "a" + fill("~~_*")[:10000],
    "long line without spaces": fill("a"),
    "long line of words": fill("word "),
    "long line of dotted names": fill("www.a"),
    "open autolinks": fill("<http://a"),
    "open angle brackets": fill("<"),
    "backtick runs": "".join("`" * count + "a" for count in range(1, 200))[:MAX_LENGTH],
    "entities": fill("&#"),
    "backslashes": fill("\\"),
    "many short lines": fill("a\n"),
    "many headings": fill("# a\n"),
    "many task items": fill("- [ ] a\n"),
    "many footnote refs": "[^1]: a\n\n" + fill("[^1]", MAX_LENGTH - 9),
    "many reference uses": "[a]: /u\n\n" + fill("[a] ", MAX_LENGTH - 9),
    "many fenced blocks": fill("```sql\nselect 1\n```\n"),
    "wide table": "|" + "a|" * 3000 + "\n|" + "-|" * 3000 + "\n" + fill("a\n", 7996),
    "largest allowed table": "a|b\n-|-\n" + fill("a|b\n", MAX_LENGTH - 8),
    "python code": "```python\n" + fill("def f(x): return '''a\" # ", MAX_LENGTH - 14)
    + "\n```",
    "dax code": "```dax\n"
    + fill("CALCULATE('T'[a], \"s\" /* ", MAX_LENGTH - 11)
    + "\n```",
    "m code": "```m\n" + fill('let x = #"a" in Table.A(', MAX_LENGTH - 9) + "\n```",
}


@pytest.mark.parametrize(
    "source",
    [pytest.param(source, id=name) for name, source in PATHOLOGICAL_SOURCES.items()],
)
def test_pathological_input_is_fast(source: str) -> None:
    assert len(source) <= MAX_LENGTH
    start = time.process_time()
    try:
        render_markdown(source, max_length=MAX_LENGTH)
    except MarkdownError:
        pass
    elapsed = time.process_time() - start
    assert elapsed < TIME_LIMIT_SECONDS

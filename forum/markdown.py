"""Render user-written Markdown posts to safe HTML.

Posts are parsed by markdown-it-py in CommonMark mode with tables, strikethrough,
task lists, footnotes and linkify autolinks. Raw HTML in the source is escaped.
Fenced code is highlighted by Pygments with CSS classes (see ``highlight_css``).

Two layers keep the output safe. The Markdown layer only creates links to
http, https and mailto URLs or to paths starting with ``/`` or ``#``, and only
creates images with http or https sources. The rendered HTML then passes
through nh3 with an explicit allow-list of tags, attributes and classes, which
applies the same URL rules again.
"""

from __future__ import annotations

import functools
import hashlib
import html
import logging
import re
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.rules_block.table import table as markdown_table
from markdown_it.rules_core.state_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer, RegexLexer, words
from pygments.lexers.python import PythonLexer
from pygments.lexers.r import SLexer
from pygments.lexers.sql import SqlLexer, TransactSqlLexer
from pygments.token import (
    STANDARD_TYPES,
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

__all__ = [
    "RENDERER_VERSION",
    "MarkdownError",
    "render_markdown",
    "markdown_to_text",
    "highlight_css",
]

logger = logging.getLogger(__name__)

# Stored with each post. Increase it whenever a change here alters the HTML
# produced for the same source, so that stored posts can be re-rendered.
RENDERER_VERSION = 2

# markdown-it's nesting limit, the CommonMark preset's value. In blocks, a quote
# adds one level and each list level adds two (the list and its item), so this
# allows 19 nested quotes or 9 nested lists. At the limit markdown-it silently
# drops the rest of the nested content, so ``_check_nesting`` rejects such posts
# instead. Inline parsing uses the same limit, and its time on unclosed
# brackets ("[[[[…") grows in proportion to it.
MAX_NESTING = 20

# Limit on table cells in one post. Each cell costs several tokens, and
# markdown-it pads a row with fewer cells than the header with empty ones (up
# to 65,536 per table), so one 20,000-character table took over a second to
# parse without this limit.
MAX_TABLE_CELLS = 10_000
_TABLE_CELLS_KEY = "table_cells"

LINK_REL = "nofollow ugc noopener"

# Prefix for Pygments token classes. Without it, highlighted code would carry
# short classes such as "k" and "s" that the site's own CSS might also use.
HIGHLIGHT_CLASS_PREFIX = "hl-"
HIGHLIGHT_STYLE = "xcode"

_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_IMAGE_SCHEMES = frozenset({"http", "https"})

# The WHATWG URL Standard's parser, which browsers follow, removes ASCII tab
# and newline anywhere in a URL and C0 controls and spaces at its ends, so
# "java\tscript:" still runs as javascript:. The scheme check therefore
# removes every control character and space before it looks.
_URL_IGNORED_CHARS_RE = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_URL_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):")

# Top-level domains that linkify turns into links without a scheme, so that
# "www.example.gov.uk" becomes a link. linkify-it's default list also accepts
# every two-letter domain, which would link file names such as "main.py" (.py)
# or "notes.md" (.md).
_FUZZY_LINK_TLDS = [
    "com", "org", "net", "edu", "gov", "info", "uk", "eu", "io",
    "scot", "wales", "cymru",
]  # fmt: skip

# A task-list item starts with "[ ]", "[x]" or "[X]" and whitespace.
_TASK_MARKER_RE = re.compile(r"\[([ xX])\][ \t\n\v\f\r]")

_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


class MarkdownError(ValueError):
    """Post source that cannot be rendered, with a message to show the author."""


# Syntax highlighting ---------------------------------------------------------


class PowerQueryLexer(RegexLexer):
    """Lexer for the Power Query formula language (M) used in Power BI and Excel.

    Pygments (2.21) has no lexer for M. This one covers comments, text
    literals, quoted identifiers, keywords, primitive types, numbers and
    dotted library names such as ``Table.SelectRows``.
    """

    name = "Power Query M"
    aliases = ["powerquery", "m"]
    filenames: list[str] = []

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"//[^\n]*", Comment.Single),
            (r"/\*", Comment.Multiline, "block-comment"),
            (r'#"', Name, "quoted-identifier"),
            (r'"', String.Double, "text-literal"),
            (
                r"#(?:binary|date|datetime|datetimezone|duration|infinity|nan"
                r"|sections|shared|table|time)\b",
                Keyword.Pseudo,
            ),
            (words(("true", "false", "null"), suffix=r"\b"), Keyword.Constant),
            (
                words(
                    (
                        "and", "as", "each", "else", "error", "if", "in", "is",
                        "let", "meta", "not", "or", "otherwise", "section",
                        "shared", "then", "try", "type",
                    ),
                    suffix=r"\b",
                ),
                Keyword,
            ),  # fmt: skip
            (
                words(
                    (
                        "any", "anynonnull", "binary", "date", "datetime",
                        "datetimezone", "duration", "function", "list",
                        "logical", "none", "nullable", "number", "optional",
                        "record", "table", "text", "time",
                    ),
                    suffix=r"\b",
                ),
                Keyword.Type,
            ),  # fmt: skip
            (r"[A-Z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+\b", Name.Builtin),
            (r"0[xX][0-9a-fA-F]+", Number.Hex),
            (r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", Number),
            (r"=>|<=|>=|<>|\?\?|\.\.\.|\.\.|[=<>+\-*/&?@!]", Operator),
            (r"[()\[\]{},;]", Punctuation),
            (r"[A-Za-z_][A-Za-z0-9_]*", Name),
            (r".", Text),
        ],
        "block-comment": [
            (r"[^*]+", Comment.Multiline),
            (r"\*/", Comment.Multiline, "#pop"),
            (r"\*", Comment.Multiline),
        ],
        "text-literal": [
            (r'[^"]+', String.Double),
            (r'""', String.Escape),
            (r'"', String.Double, "#pop"),
        ],
        "quoted-identifier": [
            (r'[^"]+', Name),
            (r'""', String.Escape),
            (r'"', Name, "#pop"),
        ],
    }


class DaxLexer(RegexLexer):
    """Lexer for DAX, the formula language of Power BI and Analysis Services.

    Pygments 2.21 has a DAX lexer, but it shows the rest of a line as plain
    text after any name it does not know, such as a measure or table name.
    DAX is case-insensitive, and any name followed by "(" is a function call.
    """

    name = "DAX"
    aliases = ["dax"]
    filenames: list[str] = []
    flags = re.IGNORECASE

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"(?:--|//)[^\n]*", Comment.Single),
            (r"/\*", Comment.Multiline, "block-comment"),
            (r'"', String.Double, "text-literal"),
            # Quoted table names ('Sales Data') and column or measure names
            # ([Amount]). Inside them, '' and ]] stand for ' and ].
            (r"'(?:[^'\n]|'')*'", Name.Class),
            (r"\[(?:[^\]\n]|\]\])*\]", Name.Attribute),
            (
                words(("true", "false", "blank"), suffix=r"\b(?!\s*\()"),
                Keyword.Constant,
            ),
            (
                words(
                    (
                        "asc", "at", "by", "column", "define", "desc",
                        "evaluate", "measure", "order", "return", "start",
                        "table", "var",
                    ),
                    suffix=r"\b",
                ),
                Keyword,
            ),  # fmt: skip
            (words(("in", "not"), suffix=r"\b"), Operator.Word),
            (r"[a-z_][a-z0-9_.]*(?=\s*\()", Name.Function),
            (r"[a-z_][a-z0-9_]*", Name),
            (r"(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?", Number),
            (r":=|==|<=|>=|<>|&&|\|\||[-+*/^&=<>]", Operator),
            (r"[(){},.]", Punctuation),
            (r".", Text),
        ],
        "block-comment": [
            (r"[^*]+", Comment.Multiline),
            (r"\*/", Comment.Multiline, "#pop"),
            (r"\*", Comment.Multiline),
        ],
        "text-literal": [
            (r'[^"]+', String.Double),
            (r'""', String.Escape),
            (r'"', String.Double, "#pop"),
        ],
    }


# Fence language (lower case) -> (name used in the "language-" class, lexer).
# Any other language is shown as plain escaped code.
_LANGUAGES: dict[str, tuple[str, type[Lexer]]] = {
    "sql": ("sql", SqlLexer),
    "tsql": ("tsql", TransactSqlLexer),
    "t-sql": ("tsql", TransactSqlLexer),
    "mssql": ("tsql", TransactSqlLexer),
    "python": ("python", PythonLexer),
    "python3": ("python", PythonLexer),
    "py": ("python", PythonLexer),
    "r": ("r", SLexer),
    "dax": ("dax", DaxLexer),
    "m": ("powerquery", PowerQueryLexer),
    "powerquery": ("powerquery", PowerQueryLexer),
    "power-query": ("powerquery", PowerQueryLexer),
    "pq": ("powerquery", PowerQueryLexer),
}


@functools.cache
def _make_formatter() -> HtmlFormatter:
    """Return the one formatter: building it compiles a style sheet, and it keeps no state between blocks."""
    return HtmlFormatter(
        style=HIGHLIGHT_STYLE, classprefix=HIGHLIGHT_CLASS_PREFIX, nowrap=True
    )


def _wrap_code(code_html: str, language: str | None) -> str:
    class_attr = f' class="language-{language}"' if language else ""
    return f'<pre class="highlight"><code{class_attr}>{code_html}</code></pre>'


def _highlight_fence(code: str, language_name: str, _language_attrs: str) -> str:
    """Render a fenced code block as a complete ``<pre>`` element.

    markdown-it uses the returned HTML as it is because it starts with "<pre".
    """
    language = _LANGUAGES.get(language_name.lower())
    if language is None:
        return _wrap_code(escapeHtml(code), None)

    class_name, lexer_class = language
    try:
        code_html = highlight(code, lexer_class(), _make_formatter())
    except Exception:
        # Pygments lexers report bad input as error tokens, so this only
        # guards against a bug in a lexer. The code is still shown, unhighlighted.
        logger.warning(
            "Pygments failed to highlight a %d-character %s block",
            len(code),
            class_name,
            exc_info=True,
        )
        code_html = escapeHtml(code)
    return _wrap_code(code_html, class_name)


def highlight_css() -> str:
    """Return the CSS rules for highlighted code, scoped to ``.highlight``.

    Line-number rules are left out because posts never show line numbers.
    """
    formatter = _make_formatter()
    background = formatter.get_background_style_defs(".highlight")
    token_rules = formatter.get_token_style_defs(".highlight")
    return "\n".join([*background, *token_rules]) + "\n"


# URL rules -------------------------------------------------------------------


def _is_allowed_url(
    url: str, schemes: frozenset[str], *, allow_relative: bool
) -> bool:
    """Return whether ``url`` uses one of ``schemes`` or, if allowed, is a path.

    The check decodes HTML entities, removes control characters and spaces,
    and lower-cases the URL first, so that obfuscated schemes such as
    "&#106;avascript:" or "JaVa\\tScRiPt:" are found. A relative URL counts
    only when it starts with "/" or "#".
    """
    cleaned = _URL_IGNORED_CHARS_RE.sub("", html.unescape(url)).lower()
    if cleaned.startswith(("/", "#")):
        return allow_relative
    match = _URL_SCHEME_RE.match(cleaned)
    return match is not None and match.group(1) in schemes


def _is_allowed_link(url: str) -> bool:
    return _is_allowed_url(url, _LINK_SCHEMES, allow_relative=True)


def _is_allowed_image(url: str) -> bool:
    return _is_allowed_url(url, _IMAGE_SCHEMES, allow_relative=False)


# Markdown parser and render rules --------------------------------------------


def _render_link_open(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    tokens[idx].attrSet("rel", LINK_REL)
    return self.renderToken(tokens, idx, options, env)


def _render_image(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    """Render an image, or only its alt text when its source is not http(s).

    ``validateLink`` also accepts mailto and relative URLs, which are fine
    for links but not for images.
    """
    token = tokens[idx]
    source = str(token.attrGet("src") or "")
    if not _is_allowed_image(source):
        return escapeHtml(self.renderInlineAsText(token.children or [], options, env))
    return self.image(tokens, idx, options, env)


def _render_code_block(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    """Render an indented code block like an unlabelled fenced block."""
    return _wrap_code(escapeHtml(tokens[idx].content), None) + "\n"


def _render_table_cell_open(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    """Render ``<th>`` or ``<td>``, with column alignment as a class.

    markdown-it writes alignment as ``style="text-align:right"``, but the
    sanitiser removes every style attribute, so this uses ``align-right``.
    """
    token = tokens[idx]
    style = token.attrGet("style")
    if style is not None:
        del token.attrs["style"]
        alignment = str(style).removeprefix("text-align:")
        if alignment in ("left", "center", "right"):
            token.attrJoin("class", f"align-{alignment}")
    return self.renderToken(tokens, idx, options, env)


def _check_table_size(
    state: StateBlock, start_line: int, end_line: int, silent: bool
) -> bool:
    """Run markdown-it's table rule, counting the post's table cells first.

    Raises MarkdownError once the post's tables have more than
    ``MAX_TABLE_CELLS`` cells. The row count includes every line up to the
    next blank line, so a table followed directly by another block counts
    that block's lines too.
    """
    if silent or not markdown_table(state, start_line, end_line, True):
        return markdown_table(state, start_line, end_line, silent)

    line = start_line + 1
    delimiter_row = state.src[state.bMarks[line] : state.eMarks[line]]
    columns = delimiter_row.strip().strip("|").count("|") + 1
    rows = 1
    line = start_line + 2
    while line < end_line and not state.isEmpty(line):
        rows += 1
        line += 1

    cells = state.env.get(_TABLE_CELLS_KEY, 0) + columns * rows
    state.env[_TABLE_CELLS_KEY] = cells
    if cells > MAX_TABLE_CELLS:
        raise MarkdownError(
            f"The tables in your post have at least {cells:,} cells, but the "
            f"limit is {MAX_TABLE_CELLS:,}. Remove some rows or columns and "
            "try again."
        )
    return markdown_table(state, start_line, end_line, False)


def _mark_task_list_items(state: StateCore) -> None:
    """Turn list items that start with "[ ]" or "[x]" into task-list items.

    The item gets a disabled checkbox and the class "task-list-item", and its
    list gets "contains-task-list". This replaces mdit_py_plugins.tasklists
    (0.7), which searches backwards for each item's list and so takes
    quadratic time (0.8 s for a 20,000-character list on a 2-core cloud VM).
    It runs before "text_join", so an escaped "\\[ ]" is still a separate
    token and does not start a task.
    """
    open_lists: list[Token] = []
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            open_lists.append(token)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            open_lists.pop()
        elif (
            token.type == "inline"
            and open_lists
            and index >= 2
            and tokens[index - 1].type == "paragraph_open"
            and tokens[index - 2].type == "list_item_open"
        ):
            _add_task_checkbox(token, tokens[index - 2], open_lists[-1])


def _add_task_checkbox(inline: Token, item: Token, parent_list: Token) -> None:
    children = inline.children
    if not children or children[0].type != "text":
        return
    match = _TASK_MARKER_RE.match(children[0].content)
    if match is None:
        return

    checked = ' checked="checked"' if match.group(1) in "xX" else ""
    checkbox = Token("html_inline", "", 0)
    checkbox.content = (
        f'<input class="task-list-item-checkbox" type="checkbox"{checked} '
        'disabled="disabled">'
    )
    # Keep the space after the marker, which separates checkbox and text.
    children[0].content = children[0].content[3:]
    children.insert(0, checkbox)
    item.attrSet("class", "task-list-item")
    parent_list.attrSet("class", "contains-task-list")


def _create_markdown() -> MarkdownIt:
    markdown = MarkdownIt(
        "commonmark",
        {
            "html": False,
            "linkify": True,
            "typographer": False,
            "maxNesting": MAX_NESTING,
            "highlight": _highlight_fence,
        },
    )
    markdown.enable(["table", "strikethrough", "linkify"])
    markdown.block.ruler.at(
        "table", _check_table_size, {"alt": ["paragraph", "reference"]}
    )
    markdown.core.ruler.after("inline", "task_lists", _mark_task_list_items)
    # Only "[^label]" footnotes, as on GitHub. Pandoc's inline "^[note]" form
    # would turn formulas such as "2^[n]" into footnotes.
    markdown.use(footnote_plugin, inline=False)
    markdown.linkify.tlds(_FUZZY_LINK_TLDS, keep_old=False)

    # markdown-it calls validateLink with each link and image URL after
    # decoding entities and normalising it. A rejected link stays plain text.
    markdown.validateLink = _is_allowed_link  # type: ignore[method-assign]

    markdown.add_render_rule("link_open", _render_link_open)
    markdown.add_render_rule("image", _render_image)
    markdown.add_render_rule("code_block", _render_code_block)
    markdown.add_render_rule("th_open", _render_table_cell_open)
    markdown.add_render_rule("td_open", _render_table_cell_open)
    return markdown


# Reused by every call: rendering state lives in the per-call ``env`` and tokens.
_MARKDOWN = _create_markdown()


def _create_text_markdown() -> MarkdownIt:
    """Return a parser that finds the same blocks and inline text as ``_MARKDOWN``, for
    :func:`markdown_to_text`.

    Linkify is left out: it only turns URLs already in the text into links, and it took
    half the parse time of a search result's snippet.
    """
    markdown = MarkdownIt("commonmark", {"html": False, "maxNesting": MAX_NESTING})
    markdown.enable(["table", "strikethrough"])
    markdown.block.ruler.at("table", _check_table_size, {"alt": ["paragraph", "reference"]})
    markdown.core.ruler.after("inline", "task_lists", _mark_task_list_items)
    markdown.use(footnote_plugin, inline=False)
    return markdown


_TEXT_MARKDOWN = _create_text_markdown()


# HTML sanitiser --------------------------------------------------------------

_FOOTNOTE_ID_RE = re.compile(r"fn(?:ref)?-[0-9a-f]+-[0-9]+(?::[0-9]+)?")

_ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "img", "input", "li", "ol", "p", "pre", "s", "section", "span",
    "strong", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip

# "class" is left out here because ``_ALLOWED_CLASSES`` filters it, and "rel"
# because nh3 sets it on every link from ``link_rel``.
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title"},
    "li": {"id"},
    "ol": {"start"},
}

_ALLOWED_ATTRIBUTE_VALUES = {
    "input": {"type": {"checkbox"}, "checked": {"checked"}},
}

# Task-list checkboxes are for display only, so nh3 forces them disabled.
# NOTE: nh3 0.3 adds forced attributes in hash-map order, which changes from
# process to process, so forcing a second attribute would make the HTML vary.
_FORCED_ATTRIBUTE_VALUES = {
    "input": {"disabled": "disabled"},
    # A code block scrolls sideways, so it must take keyboard focus in every browser.
    "pre": {"tabindex": "0"},
}

_ALLOWED_CLASSES = {
    "pre": {"highlight"},
    "code": {f"language-{name}" for name, _lexer in _LANGUAGES.values()},
    "span": {HIGHLIGHT_CLASS_PREFIX + name for name in STANDARD_TYPES.values() if name},
    "th": {"align-left", "align-center", "align-right"},
    "td": {"align-left", "align-center", "align-right"},
    "ul": {"contains-task-list"},
    "li": {"task-list-item", "footnote-item"},
    "input": {"task-list-item-checkbox"},
    "hr": {"footnotes-sep"},
    "section": {"footnotes"},
    "ol": {"contains-task-list", "footnotes-list"},
    "sup": {"footnote-ref"},
    "a": {"footnote-backref"},
}


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Apply the URL and id rules again to HTML that nh3 has parsed."""
    if attribute == "href":
        return value if _is_allowed_link(value) else None
    if attribute == "src":
        return value if tag == "img" and _is_allowed_image(value) else None
    if attribute == "id":
        return value if _FOOTNOTE_ID_RE.fullmatch(value) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_ALLOWED_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    link_rel=LINK_REL,
    tag_attribute_values=_ALLOWED_ATTRIBUTE_VALUES,
    set_tag_attribute_values=_FORCED_ATTRIBUTE_VALUES,
    url_schemes=set(_LINK_SCHEMES),
    allowed_classes=_ALLOWED_CLASSES,
)


# Rendering -------------------------------------------------------------------


def _check_source(source: str, max_length: int) -> None:
    if not isinstance(source, str):
        raise TypeError(f"source must be str, not {type(source).__name__}")
    if not source.strip():
        raise MarkdownError("Write something before posting.")
    if len(source) > max_length:
        raise MarkdownError(
            f"Your post is {len(source):,} characters long, but the limit is "
            f"{max_length:,} characters. Shorten it and try again."
        )


def _check_nesting(tokens: Sequence[Token]) -> None:
    """Raise MarkdownError if markdown-it dropped content at ``MAX_NESTING``.

    markdown-it parses the content of a quote, list item or footnote only
    while fewer than ``MAX_NESTING`` blocks are open, so such a container
    opened at the last level has lost its content.
    """
    if any(
        token.type in _CONTAINER_OPEN_TYPES and token.level >= MAX_NESTING - 1
        for token in tokens
    ):
        raise MarkdownError(
            "Your post has too many levels of nested quotes or lists. "
            "Reduce the nesting and try again."
        )


_CONTAINER_OPEN_TYPES = frozenset(
    {"blockquote_open", "list_item_open", "footnote_reference_open"}
)


def _footnote_id_prefix(source: str) -> str:
    """Return a short hash of the source to make footnote ids unique on a page.

    Without it, every post's first footnote would have the id "fn1", and a
    thread page showing several posts would link to the wrong one.
    """
    return hashlib.blake2b(source.encode("utf-8"), digest_size=4).hexdigest()


def render_markdown(source: str, *, max_length: int = 20000) -> str:
    """Render a post's Markdown source to sanitised HTML.

    Raises MarkdownError, with a message for the author, when the source is
    empty, longer than ``max_length`` characters, nested too deeply, has more
    than ``MAX_TABLE_CELLS`` table cells, or makes the parser fail.
    """
    _check_source(source, max_length)

    # nh3 cannot encode lone surrogates (possible from JSON "\ud800" escapes)
    # as UTF-8, so they become U+FFFD like any other invalid character.
    source = _SURROGATE_RE.sub("\ufffd", source)
    env: dict[str, Any] = {"docId": _footnote_id_prefix(source)}

    try:
        tokens = _MARKDOWN.parse(source, env)
        _check_nesting(tokens)
        rendered = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, env)
    except MarkdownError:
        raise
    except Exception as error:
        # This also catches RecursionError, so that nesting which slips past
        # maxNesting reaches the author as a message, not as a server error.
        logger.warning(
            "markdown-it failed to render a %d-character post",
            len(source),
            exc_info=True,
        )
        raise MarkdownError(
            "We could not format this post. Simplify its formatting, for "
            "example by removing some nested quotes, lists or brackets, and "
            "try again."
        ) from error

    return _CLEANER.clean(rendered)


# Plain text ------------------------------------------------------------------

# Block tokens whose content is the text itself, with no inline children.
_CODE_BLOCK_TYPES = frozenset({"fence", "code_block"})


def markdown_to_text(source: str) -> str:
    """Return the words a reader sees in a post, on one line, without Markdown syntax.

    Code keeps its content, links and images keep their text and alt text, and
    each block boundary becomes a space. Characters other than syntax, such as
    search highlight markers, pass through. Source the parser cannot handle is
    returned with its whitespace collapsed, never with an error.
    """
    source = _SURROGATE_RE.sub("\ufffd", source)
    try:
        tokens = _TEXT_MARKDOWN.parse(source, {})
    except Exception:
        # Table and nesting limits raise MarkdownError, and a parser fault anything.
        logger.info("markdown-it failed to parse a %d-character text", len(source))
        return " ".join(source.split())

    pieces: list[str] = []
    for token in tokens:
        if token.type == "inline":
            _append_inline_text(token.children or [], pieces)
        elif token.type in _CODE_BLOCK_TYPES:
            pieces.append(token.content)
        pieces.append(" ")
    return " ".join("".join(pieces).split())


def _append_inline_text(children: list, pieces: list[str]) -> None:
    for child in children:
        if child.type in {"text", "code_inline"}:
            pieces.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            pieces.append(" ")
        elif child.type == "image":
            _append_inline_text(child.children or [], pieces)

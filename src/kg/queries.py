"""The library of saved SPARQL queries (``ontology/queries/*.rq``) and their parameters.

Each ``.rq`` file starts with comment lines: a description, then one line per parameter,

    # param: NAME (KIND[, optional]) — what the value is

and optional ``# example:`` lines. A parameter is the query variable ``?NAME``; a value given on
the command line is turned into one RDF term of its KIND and bound to that variable
(``initBindings`` for rdflib, ``substitutions`` for pyoxigraph), never pasted into the query
text, so a value such as ``" || true || "`` is just a label that matches nothing. An optional
parameter left out stays a free variable: the query then answers for every value.

Kinds: ``label`` (a ``@zh`` label, the default), ``text`` (a plain string, e.g. a document
identifier), ``term`` (a kg relation by local name, e.g. ``partOf``), ``class`` (a kg class by
local name, e.g. ``Programme``), ``iri`` (an absolute IRI) and ``int``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.term import Identifier

from kg.query import QueryError
from kg.vocab import RELATIONS, term

KINDS = ("label", "text", "term", "class", "iri", "int")
ENTITY_CLASSES = ("Entity", "Organization", "Person", "Programme", "Principle", "Policy", "Goal", "Event", "TargetGroup",
                  "Role", "Place", "Document", "Sentence", "Mention", "Assertion")  # fmt: skip

_PARAM = re.compile(r"^#\s*param:\s*(\w+)\s*(?:\(([^)]*)\))?\s*(?:[—–:-]+\s*)?(.*)$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]*$")


class ParameterError(QueryError):
    """A parameter the saved query does not take, a missing one, or a value of the wrong kind."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str = "label"
    optional: bool = False
    doc: str = ""


@dataclass(frozen=True)
class SavedQuery:
    """One ``.rq`` file: its name (the file stem), description, parameters and text."""

    name: str
    path: Path
    text: str
    description: str = ""
    params: tuple[Param, ...] = ()
    examples: tuple[str, ...] = field(default=())

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        takes = ", ".join(p.name for p in self.params) or "none"
        raise ParameterError(f"query {self.name!r} has no parameter {name!r} (it takes: {takes})")

    def bind(self, values: dict[str, str]) -> dict[str, Identifier]:
        """The RDF terms to bind, one per given value; missing required parameters raise ParameterError."""
        bindings = {name: to_term(self.param(name), value) for name, value in values.items()}
        missing = [p.name for p in self.params if not p.optional and p.name not in bindings]
        if missing:
            raise ParameterError(f"query {self.name!r} needs --param {missing[0]}=VALUE ({self.param(missing[0]).doc})")
        return bindings


def parse(path: Path) -> SavedQuery:
    """Read one ``.rq`` file and its header; raises QueryError naming the file when the header is wrong."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"{path}: cannot be read ({exc})") from None
    description: list[str] = []
    examples: list[str] = []
    params: list[Param] = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("#"):
            if line:
                break
            continue
        m = _PARAM.match(line)
        if m:
            name, spec, doc = m.group(1), [s.strip() for s in (m.group(2) or "label").split(",")], m.group(3).strip()
            kind = next((s for s in spec if s in KINDS), "label")
            unknown = [s for s in spec if s and s not in KINDS and s != "optional"]
            if unknown:
                raise QueryError(f"{path}: parameter {name!r} has an unknown kind {unknown[0]!r} (kinds: {', '.join(KINDS)})")
            if not re.search(rf"[?$]{name}\b", _body(text)):
                raise QueryError(f"{path}: parameter {name!r} is not a variable of the query")
            params.append(Param(name, kind, "optional" in spec, doc))
        elif line.lower().startswith("# example:"):
            examples.append(line.split(":", 1)[1].strip())
        else:
            description.append(line.lstrip("#").strip())
    return SavedQuery(path.stem, path, text, " ".join(d for d in description if d), tuple(params), tuple(examples))


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def folder() -> Path:
    from kg.resources import data_dir

    return data_dir() / "queries"


@cache
def library() -> dict[str, SavedQuery]:
    """Every saved query shipped with kg, by name."""
    return {q.name: q for q in (parse(p) for p in sorted(folder().glob("*.rq")))}


def get(name: str) -> SavedQuery:
    """A saved query by name (the file stem), or a QueryError listing the names there are."""
    found = library().get(name.removesuffix(".rq"))
    if found is None:
        raise QueryError(f"no saved query {name!r}; there are: {', '.join(library())}")
    return found


def to_term(param: Param, value: str) -> Identifier:
    """The RDF term a command-line value stands for, by the parameter's kind."""
    if param.kind == "label":
        return Literal(value, lang="zh")
    if param.kind == "text":
        return Literal(value)
    if param.kind == "int":
        try:
            return Literal(int(value))
        except ValueError:
            raise ParameterError(f"parameter {param.name!r} takes an integer, not {value!r}") from None
    if param.kind in ("term", "class"):
        local = value.removeprefix("kg:")
        allowed = RELATIONS if param.kind == "term" else ENTITY_CLASSES
        if local not in allowed:
            raise ParameterError(f"parameter {param.name!r} takes one of {', '.join(allowed)}; not {value!r}")
        return term(local)
    if not _IRI.match(value):
        raise ParameterError(f"parameter {param.name!r} takes an absolute IRI, not {value!r}")
    return URIRef(value)


def split_params(items: Iterable[str]) -> dict[str, str]:
    """``["key=value", …]`` as a dict; raises ParameterError for an item without ``=`` or a repeated key."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ParameterError(f"--param takes KEY=VALUE, not {item!r}")
        if key in out:
            raise ParameterError(f"--param {key} given twice")
        out[key] = value
    return out


def prepare(*, name: str | None = None, params: Iterable[str] = (), text: str | None = None) -> tuple[str, dict[str, Identifier]]:
    """The query text and bindings for ``kg query``: a saved query by name with its parameters, or a given text.

    With a text of one's own, ``--param`` values bind as ``@zh`` labels.
    """
    values = split_params(params)
    if name is not None:
        saved = get(name)
        return saved.text, saved.bind(values)
    if text is None:
        raise QueryError("give a query, --file Q.rq or --name NAME")
    return text, {k: to_term(Param(k), v) for k, v in values.items()}


def listing() -> str:
    """The saved queries and their parameters, for ``kg query --list``."""
    lines: list[str] = []
    for q in library().values():
        lines.append(f"{q.name}: {q.description}")
        for p in q.params:
            lines.append(f"    --param {p.name}=…  ({p.kind}{', optional' if p.optional else ''}) {p.doc}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- reading query text

_TOKEN = re.compile(
    r'(?P<comment>#[^\n\r]*)'
    r'|(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\')'
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r'|(?P<var>[?$]\w+)'
    r'|(?P<pname>[^\W\d][\w.-]*:[\w.%:-]*|:[\w.%:-]*)'
    r'|(?P<word>[^\W\d]\w*)'
    r'|(?P<space>\s+)'
    r'|(?P<other>.)',
    re.DOTALL,
)


def tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """The tokens of a SPARQL text as (kind, text, offset): comment, string, iri, var, pname, word, other.

    Coarse, but it never takes a keyword for a string, IRI or comment: what it calls a ``word``
    outside them is what a SPARQL parser sees there.
    """
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind != "space":
            yield kind, m.group(), m.start()


def unescape(text: str) -> str:
    """Resolve ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes, which SPARQL resolves before parsing."""
    return re.sub(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})", lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def keywords(text: str) -> list[str]:
    """The bare words of a query (keywords and function names), upper-cased, in order, after ``unescape``."""
    return [t.upper() for kind, t, _ in tokens(unescape(text)) if kind == "word"]


def inline_values(text: str, bindings: dict[str, str]) -> str:
    """``text`` with ``VALUES ?name { term }`` opening its WHERE clause, for engines without initBindings.

    ``bindings`` maps variable names to terms already in N-Triples syntax (as pyoxigraph writes
    them, escaped), so no value can change the query's structure.
    """
    if not bindings:
        return text
    toks = list(tokens(text))
    words = [i for i, (kind, t, _) in enumerate(toks) if kind == "word" and t.upper() == "WHERE"]
    start = words[0] if words else 0
    brace = next((off for kind, t, off in toks[start:] if kind == "other" and t == "{"), None)
    if brace is None:
        raise QueryError("the query has no WHERE clause to bind parameters in")
    values = " ".join(f"VALUES ?{name} {{ {value} }}" for name, value in bindings.items() if re.fullmatch(r"\w+", name))
    return text[: brace + 1] + " " + values + " " + text[brace + 1 :]

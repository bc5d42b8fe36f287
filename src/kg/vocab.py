"""The closed namespace of kg's ontology terms, and the domains and ranges the ontology declares.

``KG`` is an rdflib ``DefinedNamespace``: a misspelt term fails at import time, and a test checks
that its terms are exactly the ones ``ontology/kg.ttl`` defines.
"""

from __future__ import annotations

from functools import cache

from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DefinedNamespace, Namespace

NS = "https://w3id.org/kg-policy/ontology#"


class KG(DefinedNamespace):
    """Terms of ``ontology/kg.ttl``."""

    _NS = Namespace(NS)
    _fail = True

    # entity classes
    Entity: URIRef
    Organization: URIRef
    Person: URIRef
    Programme: URIRef
    Principle: URIRef
    Policy: URIRef
    Goal: URIRef
    Event: URIRef
    TargetGroup: URIRef
    Role: URIRef
    Place: URIRef
    # provenance classes
    Document: URIRef
    Sentence: URIRef
    Mention: URIRef
    Assertion: URIRef
    # relations
    runs: URIRef
    guidedBy: URIRef
    pursues: URIRef
    hasComponent: URIRef
    partOf: URIRef
    ledBy: URIRef
    cooperatesWith: URIRef
    serves: URIRef
    hasRole: URIRef
    issuedBy: URIRef
    # provenance properties
    refersTo: URIRef
    inSentence: URIRef
    inDocument: URIRef
    startOffset: URIRef
    endOffset: URIRef
    text: URIRef
    surfaceForm: URIRef
    rule: URIRef
    confidence: URIRef


RELATIONS = ("runs", "guidedBy", "pursues", "hasComponent", "partOf", "ledBy", "cooperatesWith", "serves", "hasRole", "issuedBy")


def term(local: str) -> URIRef:
    """The IRI of an ontology term by local name; unknown names raise AttributeError."""
    return URIRef(getattr(KG, local))


@cache
def ontology() -> Graph:
    from kg.resources import ontology_path

    return Graph().parse(ontology_path(), format="turtle")


@cache
def signature(prop: str) -> tuple[frozenset[str], frozenset[str]]:
    """The local names of the classes a relation's domain and range allow (unions unfolded)."""
    g = ontology()

    def classes(node: object) -> frozenset[str]:
        union = g.value(node, OWL.unionOf)  # type: ignore[call-overload]
        if union is not None:
            return frozenset(str(c).removeprefix(NS) for c in Collection(g, union))
        return frozenset({str(node).removeprefix(NS)})

    p = term(prop)
    dom, rng = g.value(p, RDFS.domain), g.value(p, RDFS.range)
    return (classes(dom) if dom is not None else frozenset(), classes(rng) if rng is not None else frozenset())


def allowed(prop: str, subject_cls: str, object_cls: str) -> bool:
    """Whether the ontology allows ``subject_cls prop object_cls`` (partOf also needs equal classes)."""
    dom, rng = signature(prop)
    ok = (not dom or subject_cls in dom) and (not rng or object_cls in rng)
    if prop in ("partOf", "hasComponent") and subject_cls != object_cls:
        return prop == "hasComponent" and ok
    return ok


def defined_terms() -> set[str]:
    """Local names of every kg: term the ontology file declares."""
    g = ontology()
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property)
    return {str(s).removeprefix(NS) for k in kinds for s in g.subjects(RDF.type, k) if str(s).startswith(NS)}

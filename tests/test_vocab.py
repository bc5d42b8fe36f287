"""The closed namespace ``kg.vocab.KG`` against ``ontology/kg.ttl``, and the relation signatures."""

from __future__ import annotations

import pytest
from rdflib import OWL, RDF, RDFS, URIRef

from kg import resources, vocab
from kg.vocab import KG, NS, RELATIONS

# domains and ranges as the annotation guideline's relation table gives them
GUIDELINE = {
    "runs": ({"Organization"}, {"Programme"}),
    "guidedBy": ({"Organization", "Programme", "Policy"}, {"Principle"}),
    "pursues": ({"Organization", "Programme", "Policy"}, {"Goal"}),
    "hasComponent": ({"Principle", "Programme"}, {"Principle", "Programme"}),
    "partOf": ({"Organization", "Programme"}, {"Organization", "Programme"}),
    "ledBy": ({"Organization"}, {"Organization", "Person"}),
    "cooperatesWith": ({"Organization"}, {"Organization"}),
    "serves": ({"Organization", "Programme"}, {"TargetGroup"}),
    "hasRole": ({"Organization"}, {"Role"}),
    "issuedBy": ({"Policy"}, {"Organization"}),
}


def test_namespace_terms_are_exactly_the_ontology_terms() -> None:
    assert set(KG.__annotations__) == vocab.defined_terms()


def test_namespace_is_closed() -> None:
    assert KG.runs == URIRef(NS + "runs")
    assert vocab.term("Programme") == URIRef(NS + "Programme")
    with pytest.raises(AttributeError):
        vocab.term("run")
    with pytest.raises(AttributeError):
        _ = KG.Programm


def test_every_kg_iri_the_ontology_mentions_is_defined() -> None:
    g = vocab.ontology()
    used = {str(t).removeprefix(NS) for triple in g for t in triple if isinstance(t, URIRef) and str(t).startswith(NS)}
    assert used == vocab.defined_terms()


def test_entity_classes_are_subclasses_of_entity() -> None:
    g = vocab.ontology()
    for cls in resources.ENTITY_CLASSES:
        assert (KG[cls], RDF.type, OWL.Class) in g
        assert (KG[cls], RDFS.subClassOf, KG.Entity) in g, cls
    assert (KG.Assertion, RDFS.subClassOf, RDF.Statement) in g


def test_relations_are_object_properties_with_the_guideline_signature() -> None:
    g = vocab.ontology()
    assert set(RELATIONS) == set(GUIDELINE)
    for prop, (domain, range_) in GUIDELINE.items():
        assert (KG[prop], RDF.type, OWL.ObjectProperty) in g, prop
        assert vocab.signature(prop) == (frozenset(domain), frozenset(range_)), prop


@pytest.mark.parametrize(
    ("prop", "subject", "obj", "ok"),
    [
        ("runs", "Organization", "Programme", True),
        ("runs", "Programme", "Organization", False),
        ("runs", "Person", "Programme", False),
        ("guidedBy", "Programme", "Principle", True),
        ("guidedBy", "Organization", "Goal", False),
        ("partOf", "Programme", "Programme", True),
        ("partOf", "Organization", "Organization", True),
        ("partOf", "Programme", "Organization", False),
        ("hasComponent", "Principle", "Principle", True),
        ("hasComponent", "Programme", "Principle", True),
        ("ledBy", "Organization", "Person", True),
        ("issuedBy", "Policy", "Organization", True),
        ("issuedBy", "Organization", "Policy", False),
    ],
)
def test_allowed(prop: str, subject: str, obj: str, ok: bool) -> None:
    assert vocab.allowed(prop, subject, obj) is ok

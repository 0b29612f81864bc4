"""PREMIS 3 XML for a document's provenance events (what a bag carries beside its JSON)."""

from __future__ import annotations

import json

from lxml import etree

PREMIS = "http://www.loc.gov/premis/v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA = "http://www.loc.gov/premis/v3 https://www.loc.gov/standards/premis/premis.xsd"


def _sub(parent, tag: str, text=None):
    element = etree.SubElement(parent, f"{{{PREMIS}}}{tag}")
    if text is not None:
        element.text = str(text)
    return element


def events_as_premis(document, events) -> bytes:
    """One premis:object (the file, with its SHA-256) and a premis:event per event."""
    root = etree.Element(f"{{{PREMIS}}}premis", nsmap={"premis": PREMIS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA)
    root.set("version", "3.0")
    obj = _sub(root, "object")
    obj.set(f"{{{XSI}}}type", "premis:file")
    identifier = _sub(obj, "objectIdentifier")
    _sub(identifier, "objectIdentifierType", "sha256")
    _sub(identifier, "objectIdentifierValue", document.sha256)
    characteristics = _sub(obj, "objectCharacteristics")
    fixity = _sub(characteristics, "fixity")
    _sub(fixity, "messageDigestAlgorithm", "SHA-256")
    _sub(fixity, "messageDigest", document.sha256)
    _sub(characteristics, "size", document.size)
    format_ = _sub(_sub(characteristics, "format"), "formatDesignation")
    _sub(format_, "formatName", document.mime)
    _sub(obj, "originalName", document.filename)
    for event in events:
        element = _sub(root, "event")
        identifier = _sub(element, "eventIdentifier")
        _sub(identifier, "eventIdentifierType", "khlang-event-id")
        _sub(identifier, "eventIdentifierValue", event.id)
        _sub(element, "eventType", event.event_type)
        _sub(element, "eventDateTime", event.at.isoformat() if event.at else "")
        if event.detail:
            _sub(element, "eventDetailInformation").append(
                _detail(json.dumps(event.detail, ensure_ascii=False, default=str))
            )
        outcome = _sub(element, "eventOutcomeInformation")
        _sub(outcome, "eventOutcome", event.outcome)
        agent = _sub(element, "linkingAgentIdentifier")
        _sub(agent, "linkingAgentIdentifierType", "khlang-agent")
        _sub(agent, "linkingAgentIdentifierValue", event.agent)
        if event.tool:
            tool = _sub(element, "linkingAgentIdentifier")
            _sub(tool, "linkingAgentIdentifierType", "software")
            _sub(tool, "linkingAgentIdentifierValue", event.tool)
            _sub(tool, "linkingAgentRole", "executing program")
        linked = _sub(element, "linkingObjectIdentifier")
        _sub(linked, "linkingObjectIdentifierType", "sha256")
        _sub(linked, "linkingObjectIdentifierValue", document.sha256)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _detail(text: str):
    element = etree.Element(f"{{{PREMIS}}}eventDetail")
    element.text = text
    return element

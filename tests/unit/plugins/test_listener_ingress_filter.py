"""The listener_ingress filter: who may reach each listener, as amazon.aws.ec2_security_group rules."""

from __future__ import annotations

import pytest

from ansible_collections.cutover.ecs.plugins.filter.listener_ingress import FilterModule, listener_ingress


def test_each_kind_of_source_is_one_rule_and_a_listener_without_sources_gets_none() -> None:
    listeners = [
        {"name": "production", "port": "443", "cidrs": ["0.0.0.0/0", "::/0"], "security_groups": []},
        {"name": "test", "port": 9443, "cidrs": [], "security_groups": []},
        {"name": "canary", "port": 8443, "cidrs": ["10.1.0.0/16"], "security_groups": ["sg-0123456789abcdef0"]},
    ]
    assert listener_ingress(listeners) == [
        {"proto": "tcp", "ports": [443], "cidr_ip": ["0.0.0.0/0"], "rule_desc": "production listener"},
        {"proto": "tcp", "ports": [443], "cidr_ipv6": ["::/0"], "rule_desc": "production listener"},
        {"proto": "tcp", "ports": [8443], "cidr_ip": ["10.1.0.0/16"], "rule_desc": "canary listener"},
        {"proto": "tcp", "ports": [8443], "group_id": ["sg-0123456789abcdef0"], "rule_desc": "canary listener"},
    ]


def test_nobody_by_default_and_bad_input() -> None:
    assert listener_ingress([{"name": "test", "port": 9000}]) == []
    with pytest.raises(TypeError):
        listener_ingress({"name": "test", "port": 9000})
    assert FilterModule().filters()["listener_ingress"] is listener_ingress

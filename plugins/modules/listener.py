#!/usr/bin/python
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: listener
short_description: Create, update or delete a load balancer listener and its rules
version_added: 0.1.0
description:
  - Makes sure a listener of an Application or Network Load Balancer exists with the given protocol, certificates,
    default action and rules, or is gone.
  - The listener is found by O(load_balancer) and O(port), or by O(listener_arn).
  - Compares every managed field before acting, so a re-run with the same input makes no mutating call. Rule
    conditions compare as sets, and so do the values of each condition, because AWS ignores their order.
  - Rules are matched by priority. A rule whose conditions or action changed is modified in place and keeps its
    ARN (ECS blue/green and CodeDeploy refer to rule ARNs).
  - O(tags) and O(purge_tags) are the listener's tags. A rule's own tags are set with O(rules[].tags), and
    O(purge_tags) applies to them too.
  - B(Deployments own traffic weights.) A blue/green, canary or linear deployment (CodeDeploy or ECS-native)
    moves traffic by rewriting the forward actions of the production and test listeners. With
    O(traffic_weights=ignore) a re-run leaves that traffic split alone while it still fixes every other drift.
    The default O(traffic_weights=managed) sets the weights given here.
  - Supports check mode (the predicted listener is returned) and diff mode.
options:
  load_balancer:
    description: Name or ARN of the load balancer.
    type: str
    required: true
  port:
    description:
      - Port the listener listens on.
      - Identifies the listener unless O(listener_arn) is given; then the listener's port is changed to this one.
    type: int
    required: true
  listener_arn:
    description:
      - ARN of an existing listener to manage. Lets the module change the listener's port.
    type: str
  state:
    description: Whether the listener should exist. Deleting it deletes its rules.
    type: str
    choices: [present, absent]
    default: present
  protocol:
    description:
      - Protocol of the listener. C(HTTP) or C(HTTPS) on an Application Load Balancer, C(TCP), C(TLS), C(UDP) or
        C(TCP_UDP) on a Network Load Balancer.
      - Required to create the listener.
    type: str
    choices: [HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP]
  ssl_policy:
    description: Security policy of an C(HTTPS) or C(TLS) listener, for example C(ELBSecurityPolicy-TLS13-1-2-2021-06).
    type: str
  certificates:
    description:
      - ARNs of the listener's certificates, for C(HTTPS) and C(TLS). The first one is the default certificate;
        the others are served by SNI and compare as a set.
      - Required to create an C(HTTPS) or C(TLS) listener.
    type: list
    elements: str
  default_action:
    description:
      - What the listener does with a request no rule matches. Give exactly one of O(default_action.forward),
        O(default_action.fixed_response) or O(default_action.redirect).
      - Required to create the listener.
    type: dict
    suboptions:
      forward:
        description: Forward to one target group, or split traffic by weight between several.
        type: dict
        suboptions:
          target_group:
            description: Name or ARN of the one target group that gets all the traffic.
            type: str
          target_groups:
            description: Up to five target groups with weights, for a weighted (blue/green, canary) forward.
            type: list
            elements: dict
            suboptions:
              target_group:
                description: Name or ARN of the target group.
                type: str
                required: true
              weight:
                description: Relative weight, from 0 to 999.
                type: int
                required: true
          stickiness:
            description: Keeps a client on the same target group for a while.
            type: dict
            suboptions:
              enabled:
                description: Whether target-group stickiness is on.
                type: bool
                default: false
              duration_seconds:
                description: How long a client stays, from 1 to 604800 seconds. Required when enabled.
                type: int
      fixed_response:
        description: Answer the request directly.
        type: dict
        suboptions:
          status_code:
            description: HTTP status code, for example C(404) or C(503).
            type: str
            required: true
          content_type:
            description: Content type of the body.
            type: str
            choices: [text/plain, text/css, text/html, application/javascript, application/json]
          message_body:
            description: The body.
            type: str
      redirect:
        description:
          - Redirect the request. Components not given keep their request value (AWS's C(#{protocol}), C(#{host}),
            C(#{port}), C(/#{path}) and C(#{query})).
        type: dict
        suboptions:
          protocol:
            description: C(HTTP), C(HTTPS) or C(#{protocol}).
            type: str
          port:
            description: Port, or C(#{port}).
            type: str
          host:
            description: Host name; may contain C(#{host}).
            type: str
          path:
            description: Absolute path; may contain C(#{path}), C(#{host}) and C(#{port}).
            type: str
          query:
            description: Query string without the leading C(?).
            type: str
          status_code:
            description: Permanent (C(HTTP_301)) or temporary (C(HTTP_302)).
            type: str
            choices: [HTTP_301, HTTP_302]
            default: HTTP_301
  rules:
    description:
      - The listener's rules. Not managed when not given.
      - Rules are matched by priority. With O(purge_rules=true) rules at priorities not listed are deleted.
      - A rule with O(rules[].state=absent) deletes the live rule at its priority, if there is one, and leaves every
        other rule alone when O(purge_rules=false). This lets a service that shares a listener remove only its own rule.
    type: list
    elements: dict
    suboptions:
      priority:
        description:
          - Priority of the rule, from 1 to 50000; lower goes first. Unique per listener, and listed once whatever
            the O(rules[].state).
        type: int
        required: true
      state:
        description:
          - V(present) creates or updates the rule at O(rules[].priority); it needs O(rules[].conditions) and
            O(rules[].action).
          - V(absent) deletes the live rule at O(rules[].priority), and does nothing when there is none. Only
            O(rules[].priority) is needed; O(rules[].conditions) and O(rules[].action) are ignored. An absent rule does
            not count as listed for O(purge_rules).
        type: str
        choices: [present, absent]
        default: present
      conditions:
        description:
          - What a request must match; all conditions must hold, and any value of one condition matches.
          - Required when O(rules[].state=present).
        type: list
        elements: dict
        suboptions:
          field:
            description: What to match.
            type: str
            required: true
            choices: [path-pattern, host-header, http-header, http-request-method, query-string, source-ip]
          values:
            description: Patterns, host names, header values, methods or CIDR blocks, for every O(rules[].conditions[].field) but C(query-string).
            type: list
            elements: str
          http_header_name:
            description: Header name, for C(http-header).
            type: str
          query_strings:
            description: Key/value pairs, for C(query-string).
            type: list
            elements: dict
            suboptions:
              key:
                description: Query key; any key when not given.
                type: str
              value:
                description: Query value.
                type: str
                required: true
      action:
        description:
          - What the rule does. Give exactly one of O(rules[].action.forward), O(rules[].action.fixed_response) or
            O(rules[].action.redirect), as for O(default_action).
          - Required when O(rules[].state=present).
        type: dict
        suboptions:
          forward:
            description: Forward to one target group, or split traffic by weight between several.
            type: dict
            suboptions:
              target_group:
                description: Name or ARN of the one target group that gets all the traffic.
                type: str
              target_groups:
                description: Up to five target groups with weights, for a weighted (blue/green, canary) forward.
                type: list
                elements: dict
                suboptions:
                  target_group:
                    description: Name or ARN of the target group.
                    type: str
                    required: true
                  weight:
                    description: Relative weight, from 0 to 999.
                    type: int
                    required: true
              stickiness:
                description: Keeps a client on the same target group for a while.
                type: dict
                suboptions:
                  enabled:
                    description: Whether target-group stickiness is on.
                    type: bool
                    default: false
                  duration_seconds:
                    description: How long a client stays, from 1 to 604800 seconds. Required when enabled.
                    type: int
          fixed_response:
            description: Answer the request directly.
            type: dict
            suboptions:
              status_code:
                description: HTTP status code, for example C(404) or C(503).
                type: str
                required: true
              content_type:
                description: Content type of the body.
                type: str
                choices: [text/plain, text/css, text/html, application/javascript, application/json]
              message_body:
                description: The body.
                type: str
          redirect:
            description:
              - Redirect the request. Components not given keep their request value (AWS's C(#{protocol}), C(#{host}),
                C(#{port}), C(/#{path}) and C(#{query})).
            type: dict
            suboptions:
              protocol:
                description: C(HTTP), C(HTTPS) or C(#{protocol}).
                type: str
              port:
                description: Port, or C(#{port}).
                type: str
              host:
                description: Host name; may contain C(#{host}).
                type: str
              path:
                description: Absolute path; may contain C(#{path}), C(#{host}) and C(#{port}).
                type: str
              query:
                description: Query string without the leading C(?).
                type: str
              status_code:
                description: Permanent (C(HTTP_301)) or temporary (C(HTTP_302)).
                type: str
                choices: [HTTP_301, HTTP_302]
                default: HTTP_301
      tags:
        description:
          - Tags of the rule, as a dict. A new rule is created with them; the live rule at O(rules[].priority) gets
            them with the same O(purge_tags) as the listener's tags (V(true) removes the rule's tags not given here).
          - Values compare as text (the number C(3) and the string C('3') are the same value). Keys starting with
            C(aws:) or C(cutover.ecs:) are never removed.
          - Not managed when not given (the rule's tags are neither read nor changed). Ignored when
            O(rules[].state=absent).
        type: dict
  purge_rules:
    description:
      - Delete rules whose priority is not in O(rules) with O(rules[].state=present). Ignored when O(rules) is not given.
      - Set it to V(false) on a listener other services add their own rules to.
    type: bool
    default: true
  traffic_weights:
    description:
      - Who owns the traffic split of forward actions (the default action and every rule's action).
      - V(managed) sets the target groups and weights given here.
      - V(ignore) leaves the weights a deployment set alone. A live forward keeps its weights when it forwards to the
        same set of target groups as the desired one, or, with O(target_group_pairs), when the two differ only by
        target groups of the same pair (CodeDeploy swapped blue and green, or a canary is in progress). Any other
        difference (another target group, stickiness, the action type, conditions, port, protocol, certificates,
        rules) is still fixed. A forward that must be rewritten for another reason keeps the live weights.
    type: str
    choices: [managed, ignore]
    default: managed
  target_group_pairs:
    description:
      - The blue/green target group pairs, each a list of two target group names or ARNs, for
        O(traffic_weights=ignore). Within a pair, forwarding to either target group (or to both) is not drift.
    type: list
    elements: list
notes:
  - Authenticate (OIDC, Cognito) and JWT actions are not written by this module; a live one shows as drift and is
    replaced by the desired action.
  - Target groups that do not exist yet are only accepted in check mode (with a warning), so a whole play can be
    checked before anything is created.
author:
  - cutover.ecs developers (@cutover-ecs)
extends_documentation_fragment:
  - amazon.aws.tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - cutover.ecs.boto3
"""

EXAMPLES = r"""
- name: Production listener; CodeDeploy swaps blue and green, so re-runs must not undo it
  cutover.ecs.listener:
    load_balancer: shop
    port: 80
    protocol: HTTP
    default_action:
      forward:
        target_group: shop-blue
    traffic_weights: ignore
    target_group_pairs:
      - [shop-blue, shop-green]

- name: ECS-native blue/green needs both target groups in a weighted forward
  cutover.ecs.listener:
    load_balancer: shop
    port: 443
    protocol: HTTPS
    ssl_policy: ELBSecurityPolicy-TLS13-1-2-2021-06
    certificates:
      - arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666
    default_action:
      fixed_response:
        status_code: "404"
        content_type: text/plain
        message_body: not found
    rules:
      - priority: 10
        conditions:
          - field: path-pattern
            values: ["/api/*", "/healthcheck"]
        action:
          forward:
            target_groups:
              - target_group: shop-blue
                weight: 100
              - target_group: shop-green
                weight: 0
    traffic_weights: ignore

- name: Redirect HTTP to HTTPS
  cutover.ecs.listener:
    load_balancer: shop
    port: 8080
    protocol: HTTP
    default_action:
      redirect:
        protocol: HTTPS
        port: "443"
        status_code: HTTP_301

- name: Add this service's rule to a shared listener, tagged; other services' rules and their tags are left alone
  cutover.ecs.listener:
    load_balancer: shop
    port: 443
    purge_rules: false
    rules:
      - priority: 20
        conditions:
          - field: host-header
            values: [api.example.com]
        action:
          forward:
            target_group: shop-api
        tags:
          service: shop-api
          team: payments

- name: Remove this service's rule from a shared listener, leaving other services' rules and the default action alone
  cutover.ecs.listener:
    load_balancer: shop
    port: 443
    purge_rules: false
    rules:
      - priority: 20
        state: absent

- name: Remove the test listener
  cutover.ecs.listener:
    load_balancer: shop
    port: 9000
    state: absent
"""

RETURN = r"""
plan:
  description:
    - What this run did to the resource, or would do in check mode, for a plan or a report.
    - C(action) is V(create), V(update), V(delete) or V(none); C(fields) names the fields that differ, as the AWS API
      names them (every given field for a create, none for a delete).
  returned: always
  type: dict
  contains:
    action:
      description: V(create), V(update), V(delete) or V(none).
      type: str
      sample: update
    fields:
      description: The fields that differ, sorted.
      type: list
      elements: str
      sample: [HealthyThresholdCount]
listener:
  description: The listener after the change (the prediction in check mode); empty when it is absent.
  returned: always
  type: dict
  contains:
    listener_arn:
      description: ARN of the listener (absent in a check-mode prediction of a new listener).
      type: str
      sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2
    load_balancer_arn:
      description: ARN of the load balancer.
      type: str
    port:
      description: Port of the listener.
      type: int
    protocol:
      description: Protocol of the listener.
      type: str
    ssl_policy:
      description: Security policy of an HTTPS or TLS listener.
      type: str
    certificates:
      description: Certificates, the default one first (C(is_default=true)).
      type: list
      elements: dict
    default_actions:
      description:
        - The default action. A forward always shows C(forward_config.target_groups) (sorted by ARN, with weights
          when there are several) and C(forward_config.target_group_stickiness_config).
      type: list
      elements: dict
    rules:
      description: The rules other than the default one, by priority.
      type: list
      elements: dict
      contains:
        rule_arn:
          description: ARN of the rule (absent in a check-mode prediction of a new rule).
          type: str
        priority:
          description: Priority of the rule.
          type: int
        conditions:
          description: Conditions, each in the C(<field>_config) form with sorted values.
          type: list
          elements: dict
        actions:
          description: The rule's action, in the same form as O(default_action).
          type: list
          elements: dict
        tags:
          description:
            - Tags of the rule. Only for rules whose O(rules[].tags) are given; other rules' tags are not read.
          type: dict
          sample: {"service": "shop-api"}
    tags:
      description: Tags of the listener.
      type: dict
"""

from ansible_collections.cutover.ecs.plugins.module_utils._elbv2.ensure import ensure_listener
from ansible_collections.cutover.ecs.plugins.module_utils._module import TAG_ARGS, build_module, run_module

ACTION_OPTIONS = dict(
    forward=dict(
        type="dict",
        options=dict(
            target_group=dict(type="str"),
            target_groups=dict(
                type="list",
                elements="dict",
                options=dict(
                    target_group=dict(type="str", required=True),
                    weight=dict(type="int", required=True),
                ),
            ),
            stickiness=dict(
                type="dict",
                options=dict(
                    enabled=dict(type="bool", default=False),
                    duration_seconds=dict(type="int"),
                ),
            ),
        ),
        mutually_exclusive=[["target_group", "target_groups"]],
        required_one_of=[["target_group", "target_groups"]],
    ),
    fixed_response=dict(
        type="dict",
        options=dict(
            status_code=dict(type="str", required=True),
            content_type=dict(type="str", choices=["text/plain", "text/css", "text/html", "application/javascript", "application/json"]),
            message_body=dict(type="str"),
        ),
    ),
    redirect=dict(
        type="dict",
        options=dict(
            protocol=dict(type="str"),
            port=dict(type="str"),
            host=dict(type="str"),
            path=dict(type="str"),
            query=dict(type="str"),
            status_code=dict(type="str", choices=["HTTP_301", "HTTP_302"], default="HTTP_301"),
        ),
    ),
)
ACTION_RULES = dict(
    mutually_exclusive=[["forward", "fixed_response", "redirect"]],
    required_one_of=[["forward", "fixed_response", "redirect"]],
)

ARGUMENT_SPEC = dict(
    load_balancer=dict(type="str", required=True),
    port=dict(type="int", required=True),
    listener_arn=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    protocol=dict(type="str", choices=["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP"]),
    ssl_policy=dict(type="str"),
    certificates=dict(type="list", elements="str"),
    default_action=dict(type="dict", options=ACTION_OPTIONS, **ACTION_RULES),
    rules=dict(
        type="list",
        elements="dict",
        options=dict(
            priority=dict(type="int", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            conditions=dict(
                type="list",
                elements="dict",
                options=dict(
                    field=dict(
                        type="str",
                        required=True,
                        choices=["path-pattern", "host-header", "http-header", "http-request-method", "query-string", "source-ip"],
                    ),
                    values=dict(type="list", elements="str"),
                    http_header_name=dict(type="str"),
                    query_strings=dict(
                        type="list",
                        elements="dict",
                        options=dict(key=dict(type="str", no_log=False), value=dict(type="str", required=True)),
                    ),
                ),
            ),
            action=dict(type="dict", options=ACTION_OPTIONS, **ACTION_RULES),
            tags=dict(type="dict"),
        ),
        # A rule to delete (state=absent) needs only its priority.
        required_if=[("state", "present", ("conditions", "action"))],
    ),
    purge_rules=dict(type="bool", default=True),
    traffic_weights=dict(type="str", choices=["managed", "ignore"], default="managed"),
    target_group_pairs=dict(type="list", elements="list"),
    **TAG_ARGS,
)


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC), ensure_listener)


if __name__ == "__main__":
    main()

# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ELBv2 API (and the few EC2 reads it needs): one function per boto3 call,
retried, errors mapped by ``aws_call``.

Nothing here decides anything; callers in ``ensure`` decide, ``plan`` compares.
"""

from __future__ import annotations

from typing import Any, Optional

from ansible_collections.cutover.ecs.plugins.module_utils._aws import aws_call, paginate

# --- load balancers -------------------------------------------------------------


@aws_call("describe the load balancer", missing=("LoadBalancerNotFound",))
def describe_load_balancer(client: Any, name: Optional[str] = None, arn: Optional[str] = None) -> Optional[dict]:
    params = {"LoadBalancerArns": [arn]} if arn else {"Names": [name]}
    found = client.describe_load_balancers(**params).get("LoadBalancers", [])
    return found[0] if found else None


@aws_call("describe the load balancer's attributes")
def describe_load_balancer_attributes(client: Any, arn: str) -> list:
    return client.describe_load_balancer_attributes(LoadBalancerArn=arn).get("Attributes", [])


@aws_call("create the load balancer")
def create_load_balancer(client: Any, **params: Any) -> dict:
    return client.create_load_balancer(**params)["LoadBalancers"][0]


@aws_call("delete the load balancer", missing=("LoadBalancerNotFound",))
def delete_load_balancer(client: Any, arn: str) -> None:
    client.delete_load_balancer(LoadBalancerArn=arn)


@aws_call("set the load balancer's security groups")
def set_security_groups(client: Any, arn: str, security_groups: list) -> None:
    client.set_security_groups(LoadBalancerArn=arn, SecurityGroups=list(security_groups))


@aws_call("set the load balancer's subnets")
def set_subnets(client: Any, arn: str, subnets: list) -> None:
    client.set_subnets(LoadBalancerArn=arn, Subnets=list(subnets))


@aws_call("set the load balancer's IP address type")
def set_ip_address_type(client: Any, arn: str, ip_address_type: str) -> None:
    client.set_ip_address_type(LoadBalancerArn=arn, IpAddressType=ip_address_type)


@aws_call("modify the load balancer's attributes")
def modify_load_balancer_attributes(client: Any, arn: str, attributes: list) -> None:
    client.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=attributes)


# --- target groups ----------------------------------------------------------------


@aws_call("describe the target group", missing=("TargetGroupNotFound",))
def describe_target_group(client: Any, name: Optional[str] = None, arn: Optional[str] = None) -> Optional[dict]:
    params = {"TargetGroupArns": [arn]} if arn else {"Names": [name]}
    found = client.describe_target_groups(**params).get("TargetGroups", [])
    return found[0] if found else None


@aws_call("describe the target group's attributes")
def describe_target_group_attributes(client: Any, arn: str) -> list:
    return client.describe_target_group_attributes(TargetGroupArn=arn).get("Attributes", [])


@aws_call("create the target group")
def create_target_group(client: Any, **params: Any) -> dict:
    return client.create_target_group(**params)["TargetGroups"][0]


@aws_call("modify the target group's health check")
def modify_target_group(client: Any, **params: Any) -> dict:
    return client.modify_target_group(**params)["TargetGroups"][0]


@aws_call("modify the target group's attributes")
def modify_target_group_attributes(client: Any, arn: str, attributes: list) -> None:
    client.modify_target_group_attributes(TargetGroupArn=arn, Attributes=attributes)


@aws_call("delete the target group", missing=("TargetGroupNotFound",))
def delete_target_group(client: Any, arn: str) -> None:
    client.delete_target_group(TargetGroupArn=arn)


# --- listeners and rules ----------------------------------------------------------


@aws_call("describe the load balancer's listeners", missing=("LoadBalancerNotFound",), missing_value=[])
def describe_listeners(client: Any, load_balancer_arn: str) -> list:
    return paginate(client, "describe_listeners", "Listeners", LoadBalancerArn=load_balancer_arn)


@aws_call("describe the listener", missing=("ListenerNotFound",))
def describe_listener(client: Any, arn: str) -> Optional[dict]:
    found = client.describe_listeners(ListenerArns=[arn]).get("Listeners", [])
    return found[0] if found else None


@aws_call("describe the listener's certificates")
def describe_listener_certificates(client: Any, arn: str) -> list:
    return paginate(client, "describe_listener_certificates", "Certificates", ListenerArn=arn)


@aws_call("add certificates to the listener")
def add_listener_certificates(client: Any, arn: str, certificate_arns: list) -> None:
    client.add_listener_certificates(ListenerArn=arn, Certificates=[{"CertificateArn": cert} for cert in certificate_arns])


@aws_call("remove certificates from the listener")
def remove_listener_certificates(client: Any, arn: str, certificate_arns: list) -> None:
    client.remove_listener_certificates(ListenerArn=arn, Certificates=[{"CertificateArn": cert} for cert in certificate_arns])


@aws_call("create the listener")
def create_listener(client: Any, **params: Any) -> dict:
    return client.create_listener(**params)["Listeners"][0]


@aws_call("modify the listener")
def modify_listener(client: Any, **params: Any) -> dict:
    return client.modify_listener(**params)["Listeners"][0]


@aws_call("delete the listener", missing=("ListenerNotFound",))
def delete_listener(client: Any, arn: str) -> None:
    client.delete_listener(ListenerArn=arn)


@aws_call("describe the listener's rules")
def describe_rules(client: Any, listener_arn: str) -> list:
    return paginate(client, "describe_rules", "Rules", ListenerArn=listener_arn)


@aws_call("describe the listener rule", missing=("RuleNotFound",))
def describe_rule(client: Any, arn: str) -> Optional[dict]:
    found = client.describe_rules(RuleArns=[arn]).get("Rules", [])
    return found[0] if found else None


@aws_call("create the listener rule")
def create_rule(client: Any, **params: Any) -> dict:
    return client.create_rule(**params)["Rules"][0]


@aws_call("modify the listener rule")
def modify_rule(client: Any, **params: Any) -> dict:
    return client.modify_rule(**params)["Rules"][0]


@aws_call("delete the listener rule", missing=("RuleNotFound",))
def delete_rule(client: Any, arn: str) -> None:
    client.delete_rule(RuleArn=arn)


# --- tags (every ELBv2 resource) --------------------------------------------------


@aws_call("describe the ELBv2 resource's tags")
def describe_tags(client: Any, arn: str) -> list:
    descriptions = client.describe_tags(ResourceArns=[arn]).get("TagDescriptions", [])
    return descriptions[0].get("Tags", []) if descriptions else []


# DescribeTags takes up to 20 ARNs a call.
DESCRIBE_TAGS_MAX_ARNS = 20


@aws_call("describe the listener rules' tags")
def describe_tags_by_arn(client: Any, arns: list) -> dict:
    """The tags of several ELBv2 resources (listener rules), as ``{arn: [{Key, Value}]}``; no call for no ARN."""
    unique = list(dict.fromkeys(arns))
    found: dict = {}
    for start in range(0, len(unique), DESCRIBE_TAGS_MAX_ARNS):
        for description in client.describe_tags(ResourceArns=unique[start : start + DESCRIBE_TAGS_MAX_ARNS]).get("TagDescriptions", []):
            found[description["ResourceArn"]] = description.get("Tags", [])
    return found


@aws_call("tag the ELBv2 resource")
def add_tags(client: Any, arn: str, tags: dict) -> None:
    client.add_tags(ResourceArns=[arn], Tags=[{"Key": key, "Value": value} for key, value in tags.items()])


@aws_call("untag the ELBv2 resource")
def remove_tags(client: Any, arn: str, keys: list) -> None:
    client.remove_tags(ResourceArns=[arn], TagKeys=list(keys))


# --- EC2 reads (security group names, the subnets' VPC) ---------------------------


@aws_call("describe the security groups")
def describe_security_groups_by_name(client: Any, names: list, vpc_id: Optional[str]) -> list:
    filters = [{"Name": "group-name", "Values": list(names)}]
    if vpc_id:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    return paginate(client, "describe_security_groups", "SecurityGroups", Filters=filters)


@aws_call("describe the subnets", missing=("InvalidSubnetID.NotFound",), missing_value=[])
def describe_subnets(client: Any, subnet_ids: list) -> list:
    return client.describe_subnets(SubnetIds=list(subnet_ids)).get("Subnets", [])


@aws_call("look up the target groups", missing=("TargetGroupNotFound",), missing_value=[])
def describe_target_groups(client: Any, names: list) -> list:
    return client.describe_target_groups(Names=list(names)).get("TargetGroups", [])


@aws_call("read the health of the targets", missing=("TargetGroupNotFound",), missing_value=[])
def describe_target_health(client: Any, arn: str) -> list:
    return client.describe_target_health(TargetGroupArn=arn).get("TargetHealthDescriptions", [])

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pipeline_artifacts
short_description: Write appspec.yaml, taskdef.json and imagedefinitions.json of an ECS service for AWS CodePipeline
version_added: 0.1.0
description:
  - Writes the files the AWS CodePipeline deploy actions for Amazon ECS read, built from a live service and its task definition,
    for teams that run their cutovers from CodePipeline instead of (or next to) M(cutover.ecs.deploy).
  - C(appspec.yaml) and C(taskdef.json) are the inputs of the blue/green deploy action (provider C(CodeDeployToECS), "Amazon ECS (Blue/Green)" in the console).
    The AppSpec is the one M(cutover.ecs.deploy) sends to CodeDeploy (task definition, container and port of the load balancer,
    and the service's network configuration and platform version). C(taskdef.json) is the task definition as
    C(RegisterTaskDefinition) input, without the fields AWS sets (C(taskDefinitionArn), C(revision), C(status),
    C(requiresAttributes), C(compatibilities), C(registeredAt), C(registeredBy), C(deregisteredAt), C(deleteRequestedAt)).
  - 'C(imagedefinitions.json) (C([{"name": <container>, "imageUri": <image>}])) is the input of the standard C(Amazon ECS) action.
    C(imageDetail.json) (C({"ImageURI": <image>})) is the image artifact of the blue/green action; it is written only when named in O(files).'
  - With O(placeholders=true) the files are templates as CodePipeline expects them. C(appspec.yaml) has C(<TASK_DEFINITION>)
    where the task definition goes (the action fills in the revision it registers from C(taskdef.json)), and C(taskdef.json) has
    C(<IMAGE1_NAME>) as the image of the container (the action fills in the image URI of its first image artifact).
  - A file is written only when its content differs from what is on disk, through a temporary file renamed over it.
    A re-run with nothing new reports C(changed=false). O(dest) is created when missing.
  - Reads only (C(DescribeServices), C(DescribeTaskDefinition)); it changes nothing in AWS.
  - Supports check mode (nothing is written, RV(files) says what would change) and diff mode (before and after of each file that changes).
options:
  task_definition:
    description:
      - The task definition the files describe, as an ARN, C(family:revision) or C(family) (its latest ACTIVE revision).
      - Default is the one the service runs.
    type: str
  container_name:
    description:
      - The container that receives traffic, and whose image C(<IMAGE1_NAME>), C(imagedefinitions.json) and C(imageDetail.json) are about.
      - Default is the service's load balancer's container, or the only container of the task definition.
    type: str
  container_port:
    description:
      - Its port, for the AppSpec's C(LoadBalancerInfo). Default is the service's load balancer's.
      - It must be a port mapping of the container.
    type: int
  dest:
    description: The directory to write the files to. Created when missing.
    type: path
    required: true
  placeholders:
    description:
      - V(true) writes CodePipeline's placeholders, C(<TASK_DEFINITION>) in C(appspec.yaml) and C(<IMAGE1_NAME>) as the container's
        image in C(taskdef.json).
      - V(false) writes the task definition's ARN and the container's image instead; C(appspec.yaml) is then exactly the AppSpec
        M(cutover.ecs.deploy) sends.
    type: bool
    default: true
  files:
    description: The files to write.
    type: list
    elements: str
    choices: [appspec.yaml, taskdef.json, imagedefinitions.json, imageDetail.json]
    default: [appspec.yaml, taskdef.json, imagedefinitions.json]
notes:
  - Run it where the pipeline's source or build step can pick the files up (for example C(delegate_to=localhost) in a repository checkout).
  - The task definition's tags are not written; C(taskdef.json) holds the task definition itself.
seealso:
  - module: cutover.ecs.deploy
  - name: Amazon ECS and CodeDeploy blue-green deploy action reference
    description: The inputs of the CodeDeployToECS action and its placeholders.
    link: https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECSbluegreen.html
  - name: Image definitions file reference
    description: The formats of imagedefinitions.json and imageDetail.json.
    link: https://docs.aws.amazon.com/codepipeline/latest/userguide/file-reference.html
author:
  - cutover.ecs developers (@cutover-ecs)
extends_documentation_fragment:
  - cutover.ecs.service
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - cutover.ecs.boto3
"""

EXAMPLES = r"""
- name: Write the blue/green pipeline's templates and the standard action's imagedefinitions.json
  cutover.ecs.pipeline_artifacts:
    cluster: shop
    service: web
    dest: "{{ playbook_dir }}/pipeline"

- name: The AppSpec cutover.ecs.deploy would send for revision 7, with the real ARN and image
  cutover.ecs.pipeline_artifacts:
    cluster: shop
    service: web
    task_definition: web:7
    placeholders: false
    files: [appspec.yaml, taskdef.json]
    dest: /tmp/web-artifacts
  register: artifacts

- name: Show the AppSpec
  ansible.builtin.debug:
    var: artifacts.documents['appspec.yaml']

- name: imagedefinitions.json and imageDetail.json of a service without a load balancer
  cutover.ecs.pipeline_artifacts:
    cluster: shop
    service: worker
    container_name: worker
    files: [imagedefinitions.json, imageDetail.json]
    dest: "{{ playbook_dir }}/pipeline"
"""

RETURN = r"""
dest:
  description: The directory the files are in (absolute).
  returned: always
  type: str
  sample: /home/ci/shop/pipeline
task_definition_arn:
  description: ARN of the task definition the files describe.
  returned: always
  type: str
  sample: arn:aws:ecs:us-east-1:123456789012:task-definition/web:7
container_name:
  description: The container the files are about.
  returned: always
  type: str
  sample: web
container_port:
  description: Its port in the AppSpec; null when C(appspec.yaml) is not written and no port was given.
  returned: always
  type: int
  sample: 8080
placeholders:
  description: Whether the files hold CodePipeline's placeholders.
  returned: always
  type: bool
files:
  description: The files, in the order of O(files).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: File name.
      type: str
      sample: appspec.yaml
    path:
      description: Its path.
      type: str
      sample: /home/ci/shop/pipeline/appspec.yaml
    changed:
      description: Whether it was written (would be, in check mode) because its content differed.
      type: bool
documents:
  description:
    - The content of each file as data, keyed by file name. The keys inside are AWS's own (camelCase in C(taskdef.json),
      PascalCase in the AppSpec), as in the files.
  returned: always
  type: dict
  sample:
    appspec.yaml:
      version: 0.0
      Resources:
        - TargetService:
            Type: AWS::ECS::Service
            Properties:
              TaskDefinition: <TASK_DEFINITION>
              LoadBalancerInfo:
                ContainerName: web
                ContainerPort: 8080
    imagedefinitions.json:
      - name: web
        imageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:3f2a9c1d
"""

from ansible_collections.cutover.ecs.plugins.module_utils._deploy.artifacts import DEFAULT_FILES, FILES, ensure_pipeline_artifacts
from ansible_collections.cutover.ecs.plugins.module_utils._module import build_module, run_module

ARGUMENT_SPEC = dict(
    cluster=dict(type="str", default="default"),
    service=dict(type="str", required=True),
    task_definition=dict(type="str"),
    container_name=dict(type="str"),
    container_port=dict(type="int"),
    dest=dict(type="path", required=True),
    placeholders=dict(type="bool", default=True),
    files=dict(type="list", elements="str", choices=list(FILES), default=list(DEFAULT_FILES)),
)


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC), ensure_pipeline_artifacts)


if __name__ == "__main__":
    main()

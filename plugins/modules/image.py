#!/usr/bin/python
# Copyright: cutover.ecs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image
short_description: Build a container image, tag it with its git commit and push it to Amazon ECR
version_added: 0.1.0
description:
  - Builds O(context) with podman, docker or buildah, tags the image, makes sure the ECR repository exists,
    logs in with ECR's C(GetAuthorizationToken) and pushes the image.
  - "The tag is the image's identity: when the tag already exists in the registry, nothing is built or pushed
    and the result is C(changed=false). Use O(force) to rebuild and push anyway."
  - By default the tag is the last git commit that touched the context (and the Dockerfile), so a commit
    elsewhere in the repository does not make a new image. See O(dirty) for uncommitted changes.
  - The registry password is handed to the builder on standard input (C(--password-stdin)) and kept in a
    temporary credentials file that is removed afterwards. It never appears on a command line, in the
    result or in an error message.
  - Supports check mode (reports the tag, the image URI and whether it would build and push) and diff mode.
options:
  repository:
    description:
      - Name of the ECR repository, for example C(shop/web).
      - Images go to the C(repositoryUri) that ECR reports for it, unless O(registry) is set.
    type: str
    required: true
  context:
    description: Directory to build, on the host that runs the module.
    type: path
    required: true
  dockerfile:
    description:
      - Path of the Dockerfile, relative to O(context) or absolute.
      - Defaults to C(Dockerfile) in O(context), or C(Containerfile) when there is no C(Dockerfile).
    type: path
  build_args:
    description:
      - Build arguments (C(--build-arg NAME=value)).
      - Part of the build, not of the tag; a change of build arguments alone needs a new O(tag) or O(force).
    type: dict
    default: {}
  commit_build_arg:
    description:
      - Build argument that receives the git commit of the context (the full hash; C(<hash>-dirty-<changes hash>)
        for a dirty tree), unless O(build_args) already sets it.
      - An empty string passes no commit.
    type: str
    default: GIT_COMMIT
  tag:
    description:
      - Image tag.
      - Defaults to the first 12 characters of the last git commit that touched the context.
    type: str
  dirty:
    description:
      - What to do when the context has uncommitted changes (including untracked files that git does not
        ignore) and O(tag) is not set.
      - V(suffix) tags the image C(<commit>-dirty-<hash of the changes>). The same changes give the same tag, so
        a re-run is still a no-op, and an edit gives a new tag.
      - V(refuse) fails and lists the changed files. Use it in pipelines that must only ship commits.
    type: str
    choices: [suffix, refuse]
    default: suffix
  builder:
    description:
      - Program that builds and pushes.
      - V(auto) uses the first of podman, docker and buildah that works here. Docker counts only when its
        engine answers C(docker info), not merely when the client is installed.
    type: str
    choices: [auto, podman, docker, buildah]
    default: auto
  platform:
    description: Target platform of the build, for example C(linux/amd64) or C(linux/arm64).
    type: str
  no_cache:
    description: Build without the builder's layer cache.
    type: bool
    default: false
  force:
    description: Build and push even when the tag already exists in the registry.
    type: bool
    default: false
  push:
    description:
      - Push the image.
      - When false the image is only built and tagged locally, and idempotence looks at the builder's local
        image store instead of the registry. The repository is then neither required nor created.
    type: bool
    default: true
  create_repository:
    description:
      - Create the ECR repository when it does not exist. When false, a missing repository is an error.
      - The repository settings below are used only when it is created; an existing repository is left as it is, but for
        O(repository_tags).
    type: bool
    default: true
  scan_on_push:
    description: Scan images on push (C(imageScanningConfiguration)) in a repository this module creates.
    type: bool
    default: false
  image_tag_mutability:
    description: Tag mutability of a repository this module creates.
    type: str
    choices: [MUTABLE, IMMUTABLE]
    default: MUTABLE
  repository_tags:
    description:
      - AWS tags of the repository. A repository this module creates gets them; on one that exists they are converged
        (values compared as text, see O(purge_repository_tags)), also when no image is built.
      - Not given, an existing repository's tags are left as they are.
    type: dict
  purge_repository_tags:
    description:
      - With O(repository_tags), remove the repository's tags that are not in it. Keys starting with C(aws:) are never removed.
    type: bool
    default: true
  registry:
    description:
      - Registry (C(host[:port])) to push to instead of the one in ECR's C(repositoryUri); the image URI becomes
        C(<registry>/<repository>:<tag>).
      - For a plain registry of your own (tests, air-gapped mirrors). ECR still provides the repository and the
        login token, and the module asks this registry, not ECR's C(DescribeImages), whether the tag exists.
      - Not needed with the cutover lab, whose ECR endpoint already reports repository URIs on its registry.
    type: str
  tls_verify:
    description:
      - Verify the registry's TLS certificate (and use HTTPS).
      - Defaults to true, except for registries on loopback addresses (C(localhost), C(127.0.0.0/8), C(::1)),
        which docker also treats as insecure.
      - docker takes this from its engine's configuration; the option applies to podman and buildah.
    type: bool
  timeout:
    description: Seconds a build or a push may take before it is stopped and reported as failed.
    type: int
    default: 1800
notes:
  - "The builder runs on the host that runs the module (usually the controller, with C(delegate_to: localhost))."
  - podman or buildah come from the Debian packages C(podman) and C(buildah), docker from C(docker.io).
  - Without a default tag source, O(tag) is required - for example when O(context) is not in a git work tree.
author:
  - cutover.ecs developers (@cutover-ecs)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - cutover.ecs.boto3
"""

EXAMPLES = r"""
- name: Build the service at its commit and push it to ECR
  cutover.ecs.image:
    repository: shop/web
    context: "{{ playbook_dir }}/service"
    build_args:
      VERSION: "2"
  register: web_image

- name: Ship only committed code, built for arm64 with buildah
  cutover.ecs.image:
    repository: shop/web
    context: service
    dirty: refuse
    builder: buildah
    platform: linux/arm64

- name: Push to a registry of your own (ECR still owns the repository and the login)
  cutover.ecs.image:
    repository: shop/web
    context: service
    registry: 127.0.0.1:5000
    build_args:
      BASE_IMAGE: localhost/cutover/python-base:bookworm
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
image_uri:
  description: The full image reference, C(<repository URI>:<tag>).
  returned: always
  type: str
  sample: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:3f2a9c1d0b7e
tag:
  description: The image tag.
  returned: always
  type: str
  sample: 3f2a9c1d0b7e-dirty-5b1e07c2aa31
digest:
  description:
    - Digest of the image manifest in the registry.
    - Null in check mode when the image would be built, and when O(push=false).
  returned: always
  type: str
  sample: sha256:67295d152049427cb112e65b72b6c3017e7ffa3aad592cc6af2e6ae8d3094b5a
built:
  description: Whether the image was built (would be, in check mode).
  returned: always
  type: bool
pushed:
  description: Whether the image was pushed (would be, in check mode).
  returned: always
  type: bool
repository_tags_changed:
  description: Whether the tags of the existing repository were changed (would be, in check mode) to O(repository_tags).
  returned: always
  type: bool
repository_uri:
  description: Where the image goes, without the tag.
  returned: always
  type: str
  sample: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web
commit:
  description: The git commit of the context (with C(-dirty-<hash>) for a dirty tree); null outside git.
  returned: always
  type: str
dirty:
  description: Whether the context had uncommitted changes.
  returned: always
  type: bool
builder:
  description: The builder used (or that would be used); null when nothing had to be built.
  returned: always
  type: str
  sample: podman
repository:
  description: The ECR repository (predicted in check mode when it would be created).
  returned: always
  type: dict
  contains:
    repository_name:
      description: Name of the repository.
      type: str
    repository_uri:
      description: URI ECR reports for the repository.
      type: str
    repository_arn:
      description: ARN of the repository; null when it is only predicted.
      type: str
    registry_id:
      description: The account of the registry.
      type: str
    image_tag_mutability:
      description: Tag mutability of the repository.
      type: str
    image_scanning_configuration:
      description: Scan-on-push setting of the repository.
      type: dict
    tags:
      description: The repository's tags after the run, as a dict (with O(repository_tags) on an existing repository).
      type: dict
output_lines:
  description: On a failed build, login or push, the builder's last output lines (passwords masked).
  returned: failure
  type: list
  elements: str
command:
  description: On a failed build, login or push, the command that failed (it never holds a password).
  returned: failure
  type: list
  elements: str
"""

from ansible_collections.cutover.ecs.plugins.module_utils._image.ensure import ensure_image
from ansible_collections.cutover.ecs.plugins.module_utils._module import build_module, run_module

ARGUMENT_SPEC = dict(
    repository=dict(type="str", required=True),
    context=dict(type="path", required=True),
    dockerfile=dict(type="path"),
    build_args=dict(type="dict", default={}),
    commit_build_arg=dict(type="str", default="GIT_COMMIT"),
    tag=dict(type="str"),
    dirty=dict(type="str", choices=["suffix", "refuse"], default="suffix"),
    builder=dict(type="str", choices=["auto", "podman", "docker", "buildah"], default="auto"),
    platform=dict(type="str"),
    no_cache=dict(type="bool", default=False),
    force=dict(type="bool", default=False),
    push=dict(type="bool", default=True),
    create_repository=dict(type="bool", default=True),
    scan_on_push=dict(type="bool", default=False),
    image_tag_mutability=dict(type="str", choices=["MUTABLE", "IMMUTABLE"], default="MUTABLE"),
    repository_tags=dict(type="dict"),
    purge_repository_tags=dict(type="bool", default=True),
    registry=dict(type="str"),
    tls_verify=dict(type="bool"),
    timeout=dict(type="int", default=1800),
)


def main() -> None:
    run_module(build_module(ARGUMENT_SPEC), ensure_image)


if __name__ == "__main__":
    main()

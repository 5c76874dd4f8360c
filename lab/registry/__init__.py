"""ECR on a real registry: Debian's docker-registry on loopback, behind the ECR API.

- ``process.Registry`` runs docker-registry as a child of the serve process with
  htpasswd auth: user ``AWS`` and a password generated per lab, so the
  base64 ``AWS:<password>`` token from GetAuthorizationToken works with
  ``podman login`` / ``docker login`` and a wrong one is refused.
- ``gate`` renders the HAProxy in front of it: a repository ECR does not know gets
  ECR's ``NAME_UNKNOWN``, as a push to a missing repository does on AWS.
- ``intercept`` answers the ECR operations whose truth is the registry
  (repository URIs, GetAuthorizationToken, DescribeImages, ListImages,
  BatchGetImage, BatchDeleteImage, PutImage).
"""

from __future__ import annotations

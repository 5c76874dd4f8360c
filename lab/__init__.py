"""The lab: a local stand-in for ECS, ELBv2, ECR, CloudWatch and CodeDeploy (see lab/ARCHITECTURE.md)."""

from __future__ import annotations

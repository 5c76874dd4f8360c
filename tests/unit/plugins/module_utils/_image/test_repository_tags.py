"""An existing ECR repository's tags converged to ``repository_tags``: as text, purged unless told not to, ``aws:`` kept."""

from __future__ import annotations

from typing import Any

from ansible_collections.cutover.ecs.plugins.module_utils._image.ensure import _repository_tags

ARN = "arn:aws:ecr:us-east-1:123456789012:repository/shop/web"


class FakeEcr:
    """list/tag/untag of one repository's tags, recording the mutating calls."""

    def __init__(self, tags: dict[str, str]) -> None:
        self.tags = dict(tags)
        self.calls: list[tuple[str, Any]] = []

    def list_tags_for_resource(self, resourceArn: str) -> dict:  # noqa: N803 - boto3's names
        assert resourceArn == ARN
        return {"tags": [{"Key": key, "Value": value} for key, value in self.tags.items()]}

    def tag_resource(self, resourceArn: str, tags: list) -> None:  # noqa: N803
        self.calls.append(("tag", sorted((tag["Key"], tag["Value"]) for tag in tags)))
        self.tags.update({tag["Key"]: tag["Value"] for tag in tags})

    def untag_resource(self, resourceArn: str, tagKeys: list) -> None:  # noqa: N803
        self.calls.append(("untag", sorted(tagKeys)))
        for key in tagKeys:
            self.tags.pop(key, None)


REPOSITORY = {"repositoryName": "shop/web", "repositoryArn": ARN}


def test_a_tag_taken_out_is_removed_a_number_compares_as_text_and_aws_keys_stay() -> None:
    ecr = FakeEcr({"team": "shop", "cost-center": "4410", "stage": "prod", "aws:cloudformation:stack-name": "x"})
    retag = _repository_tags(ecr, REPOSITORY, {"repository_tags": {"team": "shop", "cost-center": 4410}, "purge_repository_tags": True})
    assert retag.changed and retag.to_set == {} and retag.to_remove == ("stage",)
    assert retag.after == {"team": "shop", "cost-center": "4410", "aws:cloudformation:stack-name": "x"}
    retag.apply(ecr, ARN)
    assert ecr.calls == [("untag", ["stage"])]
    again = _repository_tags(ecr, REPOSITORY, {"repository_tags": {"team": "shop", "cost-center": 4410}, "purge_repository_tags": True})
    assert not again.changed


def test_a_changed_value_is_set_and_without_purge_other_tags_stay() -> None:
    ecr = FakeEcr({"team": "shop", "stage": "prod"})
    retag = _repository_tags(ecr, REPOSITORY, {"repository_tags": {"team": "payments"}, "purge_repository_tags": False})
    assert retag.to_set == {"team": "payments"} and retag.to_remove == ()
    retag.apply(ecr, ARN)
    assert ecr.calls == [("tag", [("team", "payments")])] and ecr.tags == {"team": "payments", "stage": "prod"}


def test_not_given_or_no_repository_yet_leaves_tags_alone() -> None:
    ecr = FakeEcr({"team": "shop"})
    assert not _repository_tags(ecr, REPOSITORY, {"repository_tags": None}).changed
    assert _repository_tags(ecr, REPOSITORY, {"repository_tags": None}).after is None
    assert not _repository_tags(ecr, None, {"repository_tags": {"team": "x"}}).changed
    assert ecr.calls == []
